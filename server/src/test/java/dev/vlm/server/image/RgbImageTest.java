package dev.vlm.server.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RgbImageTest {

  @Test
  void checksThatTheArrayMatchesTheSize() {
    assertThatThrownBy(() -> new RgbImage(2, 2, new byte[11]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs 12 samples, got 11");
    assertThatThrownBy(() -> new RgbImage(0, 2, new byte[0]))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void comparesPixelsNotArrays() {
    assertThat(new RgbImage(1, 1, new byte[] {1, 2, 3}))
        .isEqualTo(new RgbImage(1, 1, new byte[] {1, 2, 3}))
        .hasSameHashCodeAs(new RgbImage(1, 1, new byte[] {1, 2, 3}))
        .isNotEqualTo(new RgbImage(1, 1, new byte[] {1, 2, 4}));
  }

  @Test
  void readsSamplesByCoordinate() {
    RgbImage image = new RgbImage(2, 1, new byte[] {1, 2, 3, 4, 5, (byte) 250});
    assertThat(image.sample(1, 0, 2)).isEqualTo(250);
    assertThatThrownBy(() -> image.sample(2, 0, 0)).isInstanceOf(IndexOutOfBoundsException.class);
  }
}
