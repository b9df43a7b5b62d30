package dev.vlm.server.image.qwen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vlm.server.image.ChannelNormalizer;
import dev.vlm.server.image.ImageException;
import dev.vlm.server.image.ResampleFilter;
import dev.vlm.server.image.RgbImage;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Qwen2-VL preprocessing against the goldens' pixel summaries, and the patch order itself. */
class QwenImageProcessorTest {

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("dev.vlm.server.image.qwen.QwenGoldens#allCases")
  void matchesGoldenPixelSummariesAndGrids(String model, String caseId) {
    JsonNode c = QwenGoldens.caseOf(model, caseId);
    QwenImageProcessor processor = QwenGoldens.processor(model);
    List<RgbImage> images = QwenGoldens.images(c);
    assertThat(images).hasSize(c.path("pixel_values").size());
    List<GridThw> grids = QwenGoldens.grids(c);
    for (int i = 0; i < images.size(); i++) {
      QwenPixels pixels = processor.process(images.get(i));
      JsonNode expected = c.path("pixel_values").get(i);
      assertThat(pixels.grid()).isEqualTo(grids.get(i));
      assertThat(pixels.grid().mergedTokens(processor.mergeSize()))
          .isEqualTo(c.path("image_tokens_per_image").get(i).asInt());
      assertThat(new int[] {pixels.rows(), pixels.rowWidth()}).containsExactly(QwenGoldens.ints(expected.path("dims")));
      double sum = 0;
      double absSum = 0;
      for (float v : pixels.patches()) {
        sum += v;
        absSum += Math.abs(v);
      }
      assertThat(sum).isCloseTo(expected.path("sum").asDouble(), within(2e-3 + 1e-6 * absSum));
      assertThat(absSum).isCloseTo(expected.path("abs_sum").asDouble(), within(2e-3 + 1e-6 * absSum));
      for (int k = 0; k < 8; k++) {
        assertThat((double) pixels.patches()[k]).isCloseTo(expected.path("first8").get(k).asDouble(), within(2e-6));
      }
    }
  }

  @Test
  void patchRowsGoMergeBlockByMergeBlockWithChannelFrameYxInside() {
    // 8x8 image, patch 2, merge 2, 2 frames: grid (1, 4, 4), 2 x 2 merge blocks.
    int width = 8;
    int height = 8;
    byte[] rgb = new byte[width * height * 3];
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        for (int c = 0; c < 3; c++) {
          rgb[(y * width + x) * 3 + c] = (byte) (c * 64 + y * 8 + x); // unique, < 256
        }
      }
    }
    QwenImageProcessor processor = new QwenImageProcessor(
        2, 2, 2, 0, 1 << 20, true, ResampleFilter.BICUBIC, ChannelNormalizer.identity());
    QwenPixels pixels = processor.process(new RgbImage(width, height, rgb));
    assertThat(pixels.grid()).isEqualTo(new GridThw(1, 4, 4));
    assertThat(pixels.rowWidth()).isEqualTo(3 * 2 * 2 * 2);
    for (int row = 0; row < pixels.rows(); row++) {
      int block = row / 4;
      int blockRow = block / 2;
      int blockCol = block % 2;
      int patchRow = blockRow * 2 + (row % 4) / 2;
      int patchCol = blockCol * 2 + row % 2;
      int k = 0;
      for (int c = 0; c < 3; c++) {
        for (int frame = 0; frame < 2; frame++) {
          for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 2; x++) {
              int expected = c * 64 + (patchRow * 2 + y) * 8 + patchCol * 2 + x;
              assertThat(pixels.patches()[row * pixels.rowWidth() + k++]).as("row %d value %d", row, k)
                  .isEqualTo((float) expected);
            }
          }
        }
      }
    }
  }

  @Test
  void readsDefaultsAndRejectsBadFields() throws Exception {
    ObjectMapper json = new ObjectMapper();
    QwenImageProcessor defaults = QwenImageProcessor.fromConfig(json.readTree("{}"));
    assertThat(defaults.factor()).isEqualTo(28);
    assertThat(defaults.rowWidth()).isEqualTo(3 * 2 * 14 * 14);
    assertThatThrownBy(() -> QwenImageProcessor.fromConfig(json.readTree("{\"patch_size\": \"4\"}")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("patch_size");
    assertThatThrownBy(() -> QwenImageProcessor.fromConfig(json.readTree("{\"image_mean\": [0.5]}")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("image_mean");
  }

  @Test
  void refusesExtremeAspectRatios() {
    QwenImageProcessor processor = QwenGoldens.processor("tiny-qwen2-vl");
    assertThatThrownBy(() -> processor.process(new RgbImage(700, 3, new byte[700 * 3 * 3])))
        .isInstanceOf(ImageException.class).hasMessageContaining("aspect ratio");
  }
}
