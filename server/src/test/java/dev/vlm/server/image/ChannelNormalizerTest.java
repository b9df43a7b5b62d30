package dev.vlm.server.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ChannelNormalizerTest {

  @Test
  void writesPlanesInRgbOrderWithFloat32Arithmetic() {
    RgbImage image = new RgbImage(2, 1, new byte[] {0, (byte) 128, (byte) 255, 51, 102, 1});
    ChannelNormalizer normalizer =
        new ChannelNormalizer(1 / 255.0, new double[] {0.5, 0.25, 0.0}, new double[] {0.5, 2, 1});
    float[] chw = normalizer.toChw(image);
    float r0 = (float) (0 / 255.0);
    float r1 = (float) (51 / 255.0);
    assertThat(chw)
        .containsExactly(
            (r0 - 0.5f) / 0.5f,
            (r1 - 0.5f) / 0.5f,
            ((float) (128 / 255.0) - 0.25f) / 2f,
            ((float) (102 / 255.0) - 0.25f) / 2f,
            (float) (255 / 255.0),
            (float) (1 / 255.0));
  }

  @Test
  void identityOnlyConvertsToFloat() {
    RgbImage image = new RgbImage(1, 1, new byte[] {7, (byte) 200, (byte) 255});
    assertThat(ChannelNormalizer.identity().toChw(image)).containsExactly(7f, 200f, 255f);
  }

  @Test
  void writesIntoABatchAtAnOffset() {
    RgbImage image = new RgbImage(1, 1, new byte[] {1, 2, 3});
    float[] batch = new float[7];
    ChannelNormalizer.identity().writeChw(image, batch, 4);
    assertThat(batch).containsExactly(0f, 0f, 0f, 0f, 1f, 2f, 3f);
    assertThatThrownBy(() -> ChannelNormalizer.identity().writeChw(image, batch, 5))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void rejectsBadParameters() {
    assertThatThrownBy(() -> new ChannelNormalizer(1, new double[] {0, 0}, new double[] {1, 1, 1}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("3 values");
    assertThatThrownBy(() -> new ChannelNormalizer(1, new double[3], new double[] {1, 0, 1}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("non-zero");
  }
}
