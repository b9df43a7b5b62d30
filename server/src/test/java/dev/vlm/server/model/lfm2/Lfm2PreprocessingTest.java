package dev.vlm.server.model.lfm2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vlm.server.TestData;
import dev.vlm.server.image.ImageDecoder;
import dev.vlm.server.model.FamilyModel;
import dev.vlm.server.model.ModelDirectory;
import dev.vlm.server.model.PixelBatch;
import dev.vlm.server.model.PreparedImage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The lfm2_vl family's preprocessing equals the processor output recorded in the transformers.js
 * goldens: tiles, spatial shapes, patch masks, pixel sums and first values, token counts, and the
 * expanded prompt with its tile and thumbnail markers. Pixel sums are compared only where neither
 * processor resamples or both resample alike (see {@link #THUMBNAIL_HALVED}); the server's pixels
 * are checked against Python's processor in PythonPixelParityTest.
 */
class Lfm2PreprocessingTest {
  /**
   * Cases with a tiled image whose thumbnail is an exact halving: transformers.js takes the mean
   * of each 2x2 block of the normalized floats, Python (and the server) an antialiased bilinear
   * resize of the 8-bit image, whose kernel spans 4x4 source pixels. The grid tiles need no
   * resampling and still agree (first values), the sums do not.
   */
  private static final Set<String> THUMBNAIL_HALVED =
      Set.of("tiled_quadrants", "tiled_panorama", "two_images_tiled_and_small");
  private static final ImageDecoder DECODER = new ImageDecoder(1 << 20, 1 << 20);
  private static final FamilyModel FAMILY =
      new Lfm2VlFamily().open(ModelDirectory.open(TestData.root().resolve("models").resolve("tiny-lfm2-vl")));

  record Golden(JsonNode json) {
    @Override
    public String toString() {
      return json.get("id").asText();
    }
  }

  static Stream<Golden> imageCases() throws IOException {
    JsonNode root = new ObjectMapper().readTree(TestData.root().resolve("goldens").resolve("tiny-lfm2-vl.json").toFile());
    List<Golden> cases = new ArrayList<>();
    root.get("cases").forEach(c -> {
      if (c.get("num_image_tokens").asInt() > 0) {
        cases.add(new Golden(c));
      }
    });
    return cases.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("imageCases")
  void tilesAndPromptTextMatchTheProcessor(Golden golden) {
    String rendered = golden.json().get("rendered_prompt").asText();
    StringBuilder expanded = new StringBuilder();
    int from = 0;
    int imageTokens = 0;
    for (int i = 0; i < golden.json().get("pixel_values").size(); i++) {
      JsonNode perImage = golden.json().get("pixel_values").get(i);
      JsonNode layout = golden.json().get("image_layouts").get(i);
      PreparedImage prepared = FAMILY.prepare(DECODER.decode(TestData.bytes(perImage.get("image").asText())));
      List<PixelBatch> tiles = prepared.encoderInputs();

      assertThat(tiles).hasSize(layout.get("tiles").asInt());
      double sum = 0;
      double absSum = 0;
      for (int t = 0; t < tiles.size(); t++) {
        PixelBatch tile = tiles.get(t);
        assertThat(tile.shape()).containsExactly(1, 64, 48);
        assertThat(tile.longInputs().get("spatial_shapes").values())
            .containsExactly(perImage.get("spatial_shapes").get(t).get(0).asLong(), perImage.get("spatial_shapes").get(t).get(1).asLong());
        long maskSum = 0;
        for (long m : tile.longInputs().get("pixel_attention_mask").values()) {
          maskSum += m;
        }
        assertThat(maskSum).isEqualTo(perImage.get("pixel_attention_mask_sums").get(t).asLong());
        for (float v : tile.pixels()) {
          sum += v;
          absSum += Math.abs(v);
        }
        imageTokens += prepared.tokensOf(t);
      }
      for (int k = 0; k < 8; k++) {
        assertThat((double) tiles.getFirst().pixels()[k]).isCloseTo(perImage.get("first8").get(k).asDouble(), within(1e-5));
      }
      if (!THUMBNAIL_HALVED.contains(golden.toString())) {
        assertThat(sum).isCloseTo(perImage.get("sum").asDouble(), within(1e-2));
        assertThat(absSum).isCloseTo(perImage.get("abs_sum").asDouble(), within(1e-2));
      }

      int at = rendered.indexOf("<image>", from);
      expanded.append(rendered, from, at).append(prepared.promptText());
      from = at + "<image>".length();
    }
    expanded.append(rendered.substring(from));
    assertThat(expanded.toString()).isEqualTo(golden.json().get("expanded_prompt").asText());
    assertThat(imageTokens).isEqualTo(golden.json().get("num_image_tokens").asInt());
  }
}
