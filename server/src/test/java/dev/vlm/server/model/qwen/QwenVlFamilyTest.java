package dev.vlm.server.model.qwen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vlm.server.image.RgbImage;
import dev.vlm.server.image.qwen.GridThw;
import dev.vlm.server.image.qwen.QwenGoldens;
import dev.vlm.server.model.FamilyModel;
import dev.vlm.server.model.LongTensor;
import dev.vlm.server.model.ModelDirectory;
import dev.vlm.server.model.ModelFamilies;
import dev.vlm.server.model.ModelFamily;
import dev.vlm.server.model.PixelBatch;
import dev.vlm.server.model.PreparedImage;
import dev.vlm.server.model.PromptPositions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Qwen2-VL family on both fixtures: chosen by model_type, each image prepared as its patch
 * rows with its grid under the encoder's input name, and prompt positions equal to the goldens'.
 */
class QwenVlFamilyTest {
  @ParameterizedTest
  @ValueSource(strings = {"tiny-qwen2-vl", "tiny-qwen2.5-vl"})
  void isChosenByModelTypeAndReadsTheGridInputName(String model) {
    ModelDirectory dir = ModelDirectory.open(QwenGoldens.modelDir(model));
    ModelFamily family = ModelFamilies.builtIn().select(dir, Optional.empty());
    assertThat(family).isInstanceOf(QwenVlFamily.class);
    FamilyModel familyModel = family.open(dir);
    assertThat(familyModel.imagePlaceholder()).isEqualTo("<|image_pad|>");
    assertThat(familyModel.maxImagesPerRequest()).isEqualTo(QwenVlFamily.MAX_IMAGES);

    JsonNode c = QwenGoldens.caseOf(model, "shapes_text_first");
    PreparedImage image = familyModel.prepare(QwenGoldens.images(c).getFirst());
    GridThw grid = QwenGoldens.grids(c).getFirst();
    int tokens = c.path("image_tokens_per_image").get(0).asInt();
    assertThat(image.tokensPerInput()).isEqualTo(tokens);
    assertThat(image.promptText()).isEqualTo("<|image_pad|>".repeat(tokens));
    PixelBatch input = image.encoderInputs().getFirst();
    assertThat(input.shape()).containsExactly(grid.patches(), 96);
    String gridInput = QwenGoldens.load(model).path("vision_encoder_grid_input").asText();
    assertThat(input.longInputs()).containsOnlyKeys(gridInput);
    LongTensor thw = input.longInputs().get(gridInput);
    assertThat(thw.values()).containsExactly(grid.t(), grid.h(), grid.w());
    assertThat(thw.shape()).containsExactly(1, 3);
    JsonNode first8 = c.path("pixel_values").get(0).path("first8");
    for (int i = 0; i < 8; i++) {
      assertThat((double) input.pixels()[i]).isCloseTo(first8.get(i).asDouble(), offset(1e-5));
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("dev.vlm.server.image.qwen.QwenGoldens#allCases")
  void promptPositionsMatchTheGoldens(String model, String caseId) {
    FamilyModel familyModel = new QwenVlFamily().open(ModelDirectory.open(QwenGoldens.modelDir(model)));
    JsonNode c = QwenGoldens.caseOf(model, caseId);
    List<PreparedImage> images = new ArrayList<>();
    for (RgbImage image : QwenGoldens.images(c)) {
      images.add(familyModel.prepare(image));
    }
    int[] ids = QwenGoldens.ints(c.path("input_ids"));

    Optional<PromptPositions> positions = familyModel.positions(ids, images);

    if (images.isEmpty()) {
      assertThat(positions).isEmpty(); // the cache indices, as the goldens' patched delta 0 has it
      assertThat(c.path("rope_delta").asLong()).isZero();
      return;
    }
    assertThat(positions).isPresent();
    assertThat(positions.get().prefill()).isDeepEqualTo(QwenGoldens.positionIds(c));
    assertThat(positions.get().ropeDelta()).isEqualTo(c.path("rope_delta").asLong());
    // What a decode at cache index L + step is fed, through the re-prefill slice of a preempted request.
    JsonNode decode = c.path("decode_position_ids");
    long[][] resumed = positions.get().slice(ids.length - 1, 1 + decode.size());
    for (int step = 0; step < decode.size(); step++) {
      for (long[] row : resumed) {
        assertThat(row[step + 1]).isEqualTo(decode.get(step).asLong());
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"tiny-qwen2-vl", "tiny-qwen2.5-vl"})
  void imageTokensWithoutVisionStartAreRefused(String model) {
    FamilyModel familyModel = new QwenVlFamily().open(ModelDirectory.open(QwenGoldens.modelDir(model)));
    JsonNode c = QwenGoldens.caseOf(model, "gradient_what");
    PreparedImage image = familyModel.prepare(QwenGoldens.images(c).getFirst());
    int[] ids = new int[2 + image.tokensPerInput()];
    ids[0] = 483;
    Arrays.fill(ids, 1, ids.length - 1, 494);
    ids[ids.length - 1] = 484;

    assertThatThrownBy(() -> familyModel.positions(ids, List.of(image)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("vision_start");
  }
}
