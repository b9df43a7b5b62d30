package dev.vlm.server.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ResizerTest {

  private static RgbImage uniform(int width, int height, int r, int g, int b) {
    byte[] rgb = new byte[width * height * 3];
    for (int i = 0; i < rgb.length; i += 3) {
      rgb[i] = (byte) r;
      rgb[i + 1] = (byte) g;
      rgb[i + 2] = (byte) b;
    }
    return new RgbImage(width, height, rgb);
  }

  @ParameterizedTest
  @EnumSource(ResampleFilter.class)
  void keepsAUniformImageUniform(ResampleFilter filter) {
    // Weights are normalised to 1, so no filter may change a flat colour (including 0 and 255).
    RgbImage resized = Resizer.resize(uniform(37, 23, 255, 0, 131), 11, 64, filter);
    assertThat(resized).isEqualTo(uniform(11, 64, 255, 0, 131));
  }

  @ParameterizedTest
  @EnumSource(ResampleFilter.class)
  void returnsTheSameImageWhenTheSizeIsUnchanged(ResampleFilter filter) {
    RgbImage image = uniform(4, 3, 1, 2, 3);
    assertThat(Resizer.resize(image, 4, 3, filter)).isSameAs(image);
  }

  @Test
  void boxDownscaleByTwoAveragesPairsRoundingHalfUp() {
    byte[] rgb = new byte[4 * 3];
    int[] reds = {0, 3, 10, 20};
    for (int x = 0; x < 4; x++) {
      rgb[x * 3] = (byte) reds[x];
    }
    RgbImage resized = Resizer.resize(new RgbImage(4, 1, rgb), 2, 1, ResampleFilter.BOX);
    assertThat(resized.sample(0, 0, 0)).isEqualTo(2); // 1.5 rounds up
    assertThat(resized.sample(1, 0, 0)).isEqualTo(15);
  }

  @Test
  void nearestUpscaleRepeatsPixels() {
    byte[] rgb = {10, 0, 0, 20, 0, 0};
    RgbImage resized = Resizer.resize(new RgbImage(2, 1, rgb), 4, 1, ResampleFilter.NEAREST);
    int[] reds = new int[4];
    Arrays.setAll(reds, x -> resized.sample(x, 0, 0));
    assertThat(reds).containsExactly(10, 10, 20, 20);
  }

  @Test
  void rejectsEmptyTargets() {
    assertThatThrownBy(() -> Resizer.resize(uniform(2, 2, 0, 0, 0), 0, 5, ResampleFilter.BICUBIC))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0x5");
  }

  @Test
  void pilCodesRoundTrip() {
    for (ResampleFilter filter : ResampleFilter.values()) {
      assertThat(ResampleFilter.fromPilCode(filter.pilCode())).isSameAs(filter);
    }
    assertThat(ResampleFilter.fromPilCode(3)).isSameAs(ResampleFilter.BICUBIC);
    assertThat(ResampleFilter.fromPilCode(1)).isSameAs(ResampleFilter.LANCZOS);
    assertThatThrownBy(() -> ResampleFilter.fromPilCode(6))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("6");
  }
}
