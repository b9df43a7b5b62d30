package dev.vlm.server.image;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Compares {@link Resizer} with PIL's {@code Image.resize} on the reference images (down and up
 * scaling, non-uniform factors, one-axis resizes, 1x1 images).
 */
class ResizerPilFidelityTest {

  @ParameterizedTest
  @EnumSource(ResampleFilter.class)
  void matchesPilResize(ResampleFilter filter) {
    List<JsonNode> cases =
        ReferenceData.cases("resize").stream()
            .filter(c -> c.get("pil_code").intValue() == filter.pilCode())
            .toList();
    assertThat(cases).as("reference cases for " + filter).hasSizeGreaterThanOrEqualTo(20);

    PixelDifference total = PixelDifference.NONE;
    for (JsonNode c : cases) {
      RgbImage input = ReferenceData.decodedInput(c.get("input").textValue());
      int width = c.get("width").intValue();
      int height = c.get("height").intValue();
      RgbImage resized = Resizer.resize(input, width, height, filter);
      assertThat(resized.width()).isEqualTo(width);
      assertThat(resized.height()).isEqualTo(height);
      PixelDifference difference =
          PixelDifference.of(resized.rgb(), ReferenceData.gunzip(c.get("expected").textValue()));
      assertThat(difference.max())
          .as("%s %s -> %dx%d: %s", filter, c.get("input").textValue(), width, height, difference)
          .isLessThanOrEqualTo(1);
      total = total.plus(difference);
    }
    System.out.printf("resize vs PIL, %-8s %3d cases: %s%n", filter, cases.size(), total);
  }
}
