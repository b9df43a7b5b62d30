package dev.vlm.server.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TokenHistoryTest {
  @Test
  void keepsDistinctIds() {
    TokenHistory history = new TokenHistory();
    history.addAll(new int[] {5, 3, 5, 100_000});
    history.add(3);
    assertThat(history.distinctCount()).isEqualTo(3);
    assertThat(history.contains(5)).isTrue();
    assertThat(history.contains(4)).isFalse();
    assertThat(history.contains(-1)).isFalse();
    assertThat(history.nextId(0)).isEqualTo(3);
    assertThat(history.nextId(4)).isEqualTo(5);
    assertThat(history.nextId(6)).isEqualTo(100_000);
    assertThat(history.nextId(100_001)).isEqualTo(-1);
  }

  @Test
  void rejectsNegativeIds() {
    assertThatThrownBy(() -> new TokenHistory().add(-3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-3");
  }
}
