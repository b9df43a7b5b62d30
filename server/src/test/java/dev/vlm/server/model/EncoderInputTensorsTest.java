package dev.vlm.server.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The extra encoder inputs refuse values that do not fill their shape. */
class EncoderInputTensorsTest {
  @Test
  void aShapeMustHoldExactlyTheValues() {
    assertThat(new LongTensor(new long[] {1, 2, 3, 4, 5, 6}, new long[] {2, 3}).values()).hasSize(6);
    assertThatThrownBy(() -> new LongTensor(new long[] {1, 2, 3}, new long[] {1, 2}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("shape holds 2 values but 3 were given");
    assertThatThrownBy(() -> new BooleanTensor(new boolean[4], new long[] {1, 1, 3, 3}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("shape holds 9 values but 4 were given");
  }

  @Test
  void allTrueFillsItsShape() {
    BooleanTensor mask = BooleanTensor.allTrue(1, 1, 2, 3);
    assertThat(mask.values()).hasSize(6).containsOnly(true);
    assertThat(mask.shape()).containsExactly(1, 1, 2, 3);
  }
}
