package dev.vlm.server.image.qwen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vlm.server.image.ImageException;
import dev.vlm.server.image.ImageSize;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** smart_resize against the goldens' recorded cases, with Python's rounding where transformers.js differs. */
class SmartResizeTest {
  /**
   * "height x width" -> Python's "height x width" where transformers.js 4.3.1 differs: it rounds
   * halves up (20 / 8 = 2.5 -> 3, Python 2; 36 / 8 = 4.5 -> 5, Python 4) and scales a side below
   * the factor up first (5x40 -> 8x64; Python rounds 5 to 8 and keeps 40: 320 pixels fit).
   */
  private static final Map<String, String> PYTHON_DIFFERS = Map.of(
      "20x20", "16x16",
      "20x44", "16x48",
      "36x36", "32x32",
      "5x40", "8x40");

  @Test
  void matchesRecordedCasesOfBothFixtures() {
    int checked = 0;
    for (String model : QwenGoldens.MODELS) {
      for (JsonNode c : QwenGoldens.load(model).path("smart_resize_cases")) {
        int height = c.path("height").asInt();
        int width = c.path("width").asInt();
        int factor = c.path("factor").asInt();
        int min = c.path("min_pixels").asInt();
        int max = c.path("max_pixels").asInt();
        if (c.has("error")) {
          assertThatThrownBy(() -> SmartResize.target(height, width, factor, min, max))
              .isInstanceOf(ImageException.class)
              .hasMessageContaining("aspect ratio");
          continue;
        }
        ImageSize size = SmartResize.target(height, width, factor, min, max);
        String expected = PYTHON_DIFFERS.getOrDefault(height + "x" + width,
            c.path("resized_height").asInt() + "x" + c.path("resized_width").asInt());
        assertThat(size.height() + "x" + size.width()).as("%dx%d", height, width).isEqualTo(expected);
        checked++;
      }
    }
    assertThat(checked).isEqualTo(2 * 15);
  }

  @Test
  void keepsAreaWithinBoundsAndSidesMultiplesOfFactor() {
    for (int h = 1; h <= 300; h += 7) {
      for (int w = 1; w <= 300; w += 11) {
        if ((double) Math.max(h, w) / Math.min(h, w) > 200) {
          continue;
        }
        ImageSize size = SmartResize.target(h, w, 28, 3136, 28 * 28 * 64);
        assertThat(size.height() % 28).isZero();
        assertThat(size.width() % 28).isZero();
        assertThat((long) size.height() * size.width()).isBetween(3136L, 28L * 28 * 64);
      }
    }
  }
}
