package dev.vlm.server.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vlm.server.TestData;
import dev.vlm.server.image.ImageDecoder;
import dev.vlm.server.image.ImageException;
import dev.vlm.server.image.Kosmos25ImageProcessor;
import dev.vlm.server.image.RgbImage;
import dev.vlm.server.model.kosmos25.Kosmos25Family;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The kosmos2_5 family's flattened patches have the layout of Python's
 * {@code Kosmos2_5ImageProcessorPil} (rows, columns, resized size and mask recorded in
 * testdata/goldens/python/tiny-kosmos2.5.json; the values themselves are compared in
 * {@link PythonPixelParityTest}), and its prompt text is Python's {@code Kosmos2_5Processor} layout.
 */
class Kosmos25PreprocessingTest {
  private static final ImageDecoder DECODER = new ImageDecoder(1 << 22, 1 << 22);
  private static final ObjectMapper JSON = new ObjectMapper();

  static Stream<JsonNode> images() throws IOException {
    List<JsonNode> out = new ArrayList<>();
    JSON.readTree(TestData.root().resolve("goldens/python/tiny-kosmos2.5.json").toFile())
        .get("pixel_values").forEach(out::add);
    return out.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("images")
  void patchLayoutMatchesPython(JsonNode expected) {
    Kosmos25ImageProcessor.FlattenedPatches patches =
        processor().process(DECODER.decode(TestData.bytes(expected.get("image").asText())));

    assertThat(patches.rows()).isEqualTo(expected.get("rows").asInt());
    assertThat(patches.cols()).isEqualTo(expected.get("cols").asInt());
    assertThat(patches.cols() * 4).isEqualTo(expected.get("resized_width").asInt());
    assertThat(patches.realPatches()).isEqualTo(expected.get("real_patches").asInt());
    assertThat(patches.maxPatches()).isEqualTo(expected.get("dims").get(0).asInt());
    assertThat(patches.depth()).isEqualTo(expected.get("dims").get(1).asInt());
    float[] values = patches.values();
    for (int p = 0; p < patches.maxPatches(); p++) {
      boolean real = p < patches.realPatches();
      assertThat(patches.attentionMask()[p]).isEqualTo(real);
      // 1-based row and column in front; padding rows all zero
      assertThat(values[p * patches.depth()]).isEqualTo(real ? p / patches.cols() + 1 : 0f);
      assertThat(values[p * patches.depth() + 1]).isEqualTo(real ? p % patches.cols() + 1 : 0f);
    }
  }

  @Test
  void theImageGoesBehindTheBosWhereverThePromptPutsIt() {
    FamilyModel family = family();
    PreparedImage image = family.prepare(new RgbImage(8, 8, new byte[8 * 8 * 3]));
    String imageText = "<image>" + "<s>".repeat(8) + "</image>";

    assertThat(image.promptText()).isEqualTo(imageText);
    assertThat(image.encoderInputs().getFirst().shape()).containsExactly(1, 64, 50);
    assertThat(family.finishPrompt(imageText + "<ocr>")).isEqualTo("<s>" + imageText + "<ocr>");
    assertThat(family.finishPrompt("<md>" + imageText)).isEqualTo("<s>" + imageText + "<md>");
    assertThat(family.imageToken()).isEqualTo("<s>");
    assertThat(family.minImagesPerRequest()).isEqualTo(1);
    assertThat(family.maxImagesPerRequest()).isEqualTo(1);
  }

  @Test
  void aFlatImageIsNotDividedByZero() {
    // One colour: the deviation is 0, so Python divides by 1/sqrt(values) instead; all zeros.
    byte[] grey = new byte[20 * 10 * 3];
    Arrays.fill(grey, (byte) 77);
    Kosmos25ImageProcessor.FlattenedPatches patches = processor().process(new RgbImage(20, 10, grey));

    for (int p = 0; p < patches.realPatches(); p++) {
      for (int i = 2; i < patches.depth(); i++) {
        assertThat(patches.values()[p * patches.depth() + i]).isZero();
      }
    }
  }

  @Test
  void aGridBeyondTheEncodersPositionTableIsRefused(@TempDir Path dir) throws IOException {
    Path fixture = TestData.root().resolve("models").resolve("tiny-kosmos2.5");
    for (String file : List.of("preprocessor_config.json", "processor_config.json", "tokenizer_config.json")) {
      Files.copy(fixture.resolve(file), dir.resolve(file));
    }
    ObjectNode config = (ObjectNode) JSON.readTree(fixture.resolve("config.json").toFile());
    ((ObjectNode) config.get("vision_config")).put("max_num_patches", 16);
    JSON.writeValue(dir.resolve("config.json").toFile(), config);
    FamilyModel family = new Kosmos25Family().open(ModelDirectory.open(dir));

    // 64x2 at 64 patches of 4x4: one row of 45 columns, beyond ids 1..15
    assertThatThrownBy(() -> family.prepare(new RgbImage(64, 2, new byte[64 * 2 * 3])))
        .isInstanceOf(ImageException.class).hasMessageContaining("45x1 patch grid").hasMessageContaining("aspect ratio");
    assertThat(family.prepare(new RgbImage(16, 16, new byte[16 * 16 * 3])).encoderInputs()).hasSize(1);
  }

  @Test
  void badPatchSettingsNameTheField() throws IOException {
    assertThatThrownBy(() -> Kosmos25ImageProcessor.fromConfig(JSON.readTree("{\"max_patches\": 0}")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max_patches");
    assertThatThrownBy(() -> Kosmos25ImageProcessor.fromConfig(JSON.readTree("{\"patch_size\": {\"height\": -1}}")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("patch_size");
  }

  private static Kosmos25ImageProcessor processor() {
    try {
      return Kosmos25ImageProcessor.fromConfig(
          JSON.readTree(TestData.root().resolve("models/tiny-kosmos2.5/preprocessor_config.json").toFile()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static FamilyModel family() {
    return new Kosmos25Family().open(ModelDirectory.open(TestData.root().resolve("models").resolve("tiny-kosmos2.5")));
  }
}
