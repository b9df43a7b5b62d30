package dev.vlm.server.model.qwen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vlm.server.model.PromptPositions;
import org.junit.jupiter.api.Test;

/**
 * PromptPositions as the Qwen family fills it: slices of a prompt's three-row positions, inside
 * the prompt and past it.
 */
class QwenPromptPositionsTest {
  private final PromptPositions positions =
      new PromptPositions(new long[][] {{0, 1, 1, 3}, {0, 1, 2, 3}, {0, 2, 1, 3}}, -1);

  @Test
  void sliceInsideThePromptCopiesItsRows() {
    assertThat(positions.slice(1, 2)).isDeepEqualTo(new long[][] {{1, 1}, {1, 2}, {2, 1}});
  }

  @Test
  void slicePastThePromptAddsTheRopeDeltaOnEveryRow() {
    assertThat(positions.slice(3, 3)).isDeepEqualTo(new long[][] {{3, 3, 4}, {3, 3, 4}, {3, 3, 4}});
    assertThat(positions.slice(6, 1)).isDeepEqualTo(new long[][] {{5}, {5}, {5}});
  }

  @Test
  void rowsMustBeThreeOfOneLength() {
    assertThatThrownBy(() -> new PromptPositions(new long[][] {{0, 1}}, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3 rows");
    assertThatThrownBy(() -> new PromptPositions(new long[][] {{0, 1}, {0}, {0, 1}}, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("one length");
    assertThatThrownBy(() -> positions.slice(-1, 1)).isInstanceOf(IllegalArgumentException.class);
  }
}
