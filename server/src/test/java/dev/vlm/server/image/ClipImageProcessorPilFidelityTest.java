package dev.vlm.server.image;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Compares {@link ClipImageProcessor} with Hugging Face CLIPImageProcessor semantics computed with
 * PIL and numpy by {@code tools/pilref/make_reference.py}, per config fixture.
 */
class ClipImageProcessorPilFidelityTest {

  @ParameterizedTest
  @ValueSource(strings = {"clip_small", "pad_crop", "fixed_hw", "legacy_int", "crop_only"})
  void matchesReferencePipeline(String configName) {
    String configPath = "clip/" + configName + ".json";
    ClipImageProcessor processor = ClipImageProcessor.fromConfig(ReferenceData.json(configPath));
    List<JsonNode> cases =
        ReferenceData.cases("clip").stream()
            .filter(c -> c.get("config").textValue().equals(configPath))
            .toList();
    assertThat(cases).as("reference cases for " + configName).isNotEmpty();

    PixelDifference total = PixelDifference.NONE;
    for (JsonNode c : cases) {
      assertThat(processor.outputHeight()).isEqualTo(c.get("height").intValue());
      assertThat(processor.outputWidth()).isEqualTo(c.get("width").intValue());
      float[] actual = processor.process(ReferenceData.decodedInput(c.get("input").textValue()));
      PixelDifference difference =
          PixelDifference.of(actual, ReferenceData.floats(c.get("expected").textValue()));
      assertThat(difference.mean())
          .as("%s on %s: %s", configName, c.get("input").textValue(), difference)
          .isLessThan(0.01);
      // One uint8 level is 1 / 255 / std, at most 0.0175 for the smallest std in the fixtures.
      assertThat(difference.max())
          .as("%s on %s: %s", configName, c.get("input").textValue(), difference)
          .isLessThan(0.02);
      total = total.plus(difference);
    }
    System.out.printf("CLIP pipeline vs PIL+numpy, %-10s %d images: %s%n", configName,
        cases.size(), total);
  }
}
