package dev.vlm.server.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ImageSizeTest {

  @Test
  void scalesTheShorterSideAndTruncatesTheLonger() {
    // 224 * 640 / 480 = 298.67 -> 298
    assertThat(ImageSize.shortestEdge(640, 480, 224)).isEqualTo(new ImageSize(298, 224));
    assertThat(ImageSize.shortestEdge(480, 640, 224)).isEqualTo(new ImageSize(224, 298));
    // 40 * 333 / 77 = 172.99 -> 172
    assertThat(ImageSize.shortestEdge(333, 77, 40)).isEqualTo(new ImageSize(172, 40));
  }

  @Test
  void keepsSquaresSquareAndUpscalesTinyImages() {
    assertThat(ImageSize.shortestEdge(32, 32, 224)).isEqualTo(new ImageSize(224, 224));
    assertThat(ImageSize.shortestEdge(1, 1, 24)).isEqualTo(new ImageSize(24, 24));
    assertThat(ImageSize.shortestEdge(1, 3, 24)).isEqualTo(new ImageSize(24, 72));
  }

  @Test
  void refusesSizesThatOverflow() {
    assertThatThrownBy(() -> ImageSize.shortestEdge(1, 100_000, 100_000))
        .isInstanceOf(ImageException.class)
        .hasMessageContaining("overflows");
    assertThatThrownBy(() -> ImageSize.shortestEdge(0, 10, 10))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
