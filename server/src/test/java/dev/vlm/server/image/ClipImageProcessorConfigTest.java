package dev.vlm.server.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ClipImageProcessorConfigTest {

  private static JsonNode json(String text) {
    try {
      return new ObjectMapper().readTree(text);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static RgbImage gray(int width, int height, int value) {
    byte[] rgb = new byte[width * height * 3];
    Arrays.fill(rgb, (byte) value);
    return new RgbImage(width, height, rgb);
  }

  @Test
  void defaultsAreClipsOpenAiSettings() {
    ClipImageProcessor processor = ClipImageProcessor.fromConfig(json("{}"));
    assertThat(processor.outputWidth()).isEqualTo(224);
    assertThat(processor.outputHeight()).isEqualTo(224);
    float[] out = processor.process(gray(300, 200, 255));
    assertThat(out).hasSize(3 * 224 * 224);
    // (1 - mean) / std with OpenAI CLIP's red statistics.
    assertThat(out[0]).isEqualTo((1f - 0.48145466f) / 0.26862954f);
  }

  @Test
  void readsAnExactSizeWithoutCrop() {
    ClipImageProcessor processor =
        ClipImageProcessor.fromConfig(
            json("{\"size\": {\"height\": 10, \"width\": 20}, \"do_center_crop\": false}"));
    assertThat(processor.outputHeight()).isEqualTo(10);
    assertThat(processor.outputWidth()).isEqualTo(20);
    assertThat(processor.process(gray(7, 7, 0))).hasSize(3 * 10 * 20);
  }

  @Test
  void acceptsASingleNumberForMeanAndStd() {
    ClipImageProcessor processor =
        ClipImageProcessor.fromConfig(
            json("{\"crop_size\": 2, \"size\": 2, \"image_mean\": 0.5, \"image_std\": 0.5}"));
    assertThat(processor.process(gray(2, 2, 0))).containsOnly(-1f);
  }

  @Test
  void refusesConfigsWhoseOutputSizeDependsOnTheImage() {
    assertThatThrownBy(
            () -> ClipImageProcessor.fromConfig(json("{\"do_center_crop\": false}")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("fixed output size");
  }

  @Test
  void namesTheBadField() {
    assertThatThrownBy(() -> ClipImageProcessor.fromConfig(json("{\"size\": \"big\"}")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'size'");
    assertThatThrownBy(() -> ClipImageProcessor.fromConfig(json("{\"image_std\": [1, 2]}")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'image_std'");
    assertThatThrownBy(() -> ClipImageProcessor.fromConfig(json("{\"do_resize\": 1}")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'do_resize'");
    assertThatThrownBy(() -> ClipImageProcessor.fromConfig(json("{\"resample\": 9}")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("resample code 9");
    assertThatThrownBy(
            () -> ClipImageProcessor.fromConfig(json("{\"crop_size\": {\"height\": 0, \"width\": 3}}")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'crop_size'");
  }
}
