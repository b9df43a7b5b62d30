package dev.vlm.server.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vlm.server.TestData;
import dev.vlm.server.image.ImageDecoder;
import dev.vlm.server.image.RgbImage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The idefics3 family's image preprocessing and prompt text equal the processor output recorded
 * in the transformers.js goldens: frame count, the expanded prompt, and the pixel sums and first
 * values of the frames neither processor resizes (see {@link #plainCropFrames}).
 */
class Idefics3PreprocessingTest {
  private static final ImageDecoder DECODER = new ImageDecoder(1 << 20, 1 << 20);

  record Golden(String model, JsonNode json) {
    @Override
    public String toString() {
      return model + "/" + json.get("id").asText();
    }
  }

  static Stream<Golden> imageCases() throws IOException {
    List<Golden> cases = new ArrayList<>();
    for (String model : List.of("tiny-idefics3", "tiny-smolvlm")) {
      JsonNode root = new ObjectMapper().readTree(TestData.root().resolve("goldens").resolve(model + ".json").toFile());
      for (JsonNode c : root.get("cases")) {
        // Call-time processor options have no counterpart in the family's configuration.
        if (c.get("num_frames").asInt() > 0 && !c.has("image_processor_overrides")) {
          cases.add(new Golden(model, c));
        }
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("imageCases")
  void framesAndPromptTextMatchTheProcessor(Golden golden) {
    FamilyModel family = ModelFamilies.builtIn().named("idefics3").open(ModelDirectory.open(TestData.root().resolve("models").resolve(golden.model())));
    JsonNode pixelValues = golden.json().get("pixel_values");
    List<String> imageTexts = new ArrayList<>();
    for (JsonNode perImage : pixelValues) {
      RgbImage image = DECODER.decode(TestData.bytes(perImage.get("image").asText()));
      PreparedImage prepared = family.prepare(image);

      JsonNode frameSums = perImage.get("frame_sums");
      assertThat(prepared.encoderInputs()).hasSize(frameSums.size());
      int plainCrops = plainCropFrames(image, prepared.encoderInputs().size());
      for (int f = 0; f < frameSums.size(); f++) {
        PixelBatch frame = prepared.encoderInputs().get(f);
        assertThat(frame.shape()).containsExactly(1, 1, 3, 32, 32);
        if (f < plainCrops) {
          assertThat(sum(frame.pixels())).as("frame %d sum", f).isCloseTo(frameSums.get(f).asDouble(), within(2e-3));
        }
        BooleanTensor mask = frame.booleanInputs().get("pixel_attention_mask");
        assertThat(mask.shape()).containsExactly(1, 1, 32, 32);
        assertThat(mask.values()).doesNotContain(false);
      }
      if (plainCrops > 0) {
        float[] first = prepared.encoderInputs().get(0).pixels();
        JsonNode first8 = perImage.get("first8");
        for (int i = 0; i < first8.size(); i++) {
          assertThat((double) first[i]).isCloseTo(first8.get(i).asDouble(), within(1e-6));
        }
      }
      assertThat(prepared.tokensPerInput()).isEqualTo(golden.json().get("num_image_tokens").asInt() / golden.json().get("num_frames").asInt());
      imageTexts.add(prepared.promptText());
    }
    String[] pieces = golden.json().get("rendered_prompt").asText().split("<image>", -1);
    assertThat(pieces).hasSize(imageTexts.size() + 1);
    StringBuilder expanded = new StringBuilder(pieces[0]);
    for (int i = 0; i < imageTexts.size(); i++) {
      expanded.append(imageTexts.get(i)).append(pieces[i + 1]);
    }
    assertThat(expanded.toString()).isEqualTo(golden.json().get("expanded_prompt").asText());
  }

  @Test
  void largeAndExtremeImagesAreScaledToTheLongestEdgeThenTiled() {
    FamilyModel family = ModelFamilies.builtIn().named("idefics3").open(ModelDirectory.open(TestData.root().resolve("models").resolve("tiny-idefics3")));

    // 200x100 scales to 64x32: one row of two tiles plus the global frame.
    PreparedImage wide = family.prepare(new RgbImage(200, 100, new byte[200 * 100 * 3]));
    assertThat(wide.encoderInputs()).hasSize(3);
    assertThat(wide.promptText()).contains("<row_1_col_2>").doesNotContain("<row_2_col_1>");

    // 500x1 would scale to 64x0; it keeps one row and still becomes whole frames.
    PreparedImage line = family.prepare(new RgbImage(500, 1, new byte[500 * 3]));
    assertThat(line.encoderInputs()).hasSize(3);
    assertThat(line.encoderInputs()).allSatisfy(frame -> assertThat(frame.pixels()).hasSize(3 * 32 * 32));
  }

  /**
   * How many leading frames both processors get by slicing the image as it is, with no resize
   * (where they agree to float rounding): the tiles of an image whose sides already are the tile
   * grid, or the only frame of an image already one frame in size. Every resized frame differs,
   * since transformers.js resamples normalized floats bilinearly and the server follows Python's
   * PIL resize of the 8-bit image (PythonPixelParityTest checks those against Python).
   */
  private static int plainCropFrames(RgbImage image, int frames) {
    if (frames == 1) {
      return image.width() == 32 && image.height() == 32 ? 1 : 0;
    }
    boolean alreadyGrid = image.width() % 32 == 0 && image.height() % 32 == 0
        && Math.max(image.width(), image.height()) == 64;
    return alreadyGrid ? frames - 1 : 0;
  }

  private static double sum(float[] values) {
    double total = 0;
    for (float v : values) {
      total += v;
    }
    return total;
  }
}
