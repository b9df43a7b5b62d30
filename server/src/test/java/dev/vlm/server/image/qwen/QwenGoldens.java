package dev.vlm.server.image.qwen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vlm.server.TestData;
import dev.vlm.server.image.ImageDecoder;
import dev.vlm.server.image.RgbImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/** Reads the Qwen2-VL fixtures' goldens (tools/reference/goldens_qwen2_vl.mjs) for tests. */
public final class QwenGoldens {
  /** The two fixtures. */
  public static final List<String> MODELS = List.of("tiny-qwen2-vl", "tiny-qwen2.5-vl");

  private QwenGoldens() {}

  /** The fixture's directory. */
  public static Path modelDir(String model) {
    return TestData.root().resolve("models").resolve(model);
  }

  /** The whole golden file of a fixture. */
  public static JsonNode load(String model) {
    try {
      return new ObjectMapper().readTree(TestData.root().resolve("goldens").resolve(model + ".json").toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** (model, case id) for every golden case of both fixtures. */
  public static Stream<Arguments> allCases() {
    List<Arguments> out = new ArrayList<>();
    for (String model : MODELS) {
      for (JsonNode c : load(model).path("cases")) {
        out.add(Arguments.of(model, c.path("id").asText()));
      }
    }
    return out.stream();
  }

  /** One case by id. */
  public static JsonNode caseOf(String model, String id) {
    for (JsonNode c : load(model).path("cases")) {
      if (c.path("id").asText().equals(id)) {
        return c;
      }
    }
    throw new IllegalArgumentException("no case " + id + " in " + model);
  }

  /** The fixture's image processor, from its preprocessor_config.json. */
  public static QwenImageProcessor processor(String model) {
    try {
      return QwenImageProcessor.fromConfig(
          new ObjectMapper().readTree(modelDir(model).resolve("preprocessor_config.json").toFile()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The case's images, decoded, in prompt order. */
  public static List<RgbImage> images(JsonNode goldenCase) {
    ImageDecoder decoder = new ImageDecoder(1 << 24, 1 << 24);
    List<RgbImage> out = new ArrayList<>();
    for (JsonNode size : goldenCase.path("image_sizes")) {
      out.add(decoder.decode(TestData.bytes(size.path("image").asText())));
    }
    return out;
  }

  /** The recorded grids, in prompt order. */
  public static List<GridThw> grids(JsonNode goldenCase) {
    List<GridThw> out = new ArrayList<>();
    for (JsonNode g : goldenCase.path("image_grid_thw")) {
      out.add(new GridThw(g.get(0).asInt(), g.get(1).asInt(), g.get(2).asInt()));
    }
    return out;
  }

  /** An int array field. */
  public static int[] ints(JsonNode array) {
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asInt();
    }
    return out;
  }

  /** The recorded prefill position ids, {@code [3][prompt length]}. */
  public static long[][] positionIds(JsonNode goldenCase) {
    JsonNode rows = goldenCase.path("position_ids");
    long[][] out = new long[rows.size()][];
    for (int r = 0; r < out.length; r++) {
      out[r] = new long[rows.get(r).size()];
      for (int i = 0; i < out[r].length; i++) {
        out[r][i] = rows.get(r).get(i).asLong();
      }
    }
    return out;
  }
}
