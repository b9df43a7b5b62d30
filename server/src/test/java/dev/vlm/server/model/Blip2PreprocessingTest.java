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
 * The blip2 family's pixels equal Python's {@code BlipImageProcessorPil} (sums and first values
 * recorded in testdata/goldens/python/tiny-blip2.json), and its prompt ids put the image tokens in
 * front of the BOS as Python's {@code Blip2Processor} does.
 */
class Blip2PreprocessingTest {
  private static final ImageDecoder DECODER = new ImageDecoder(1 << 22, 1 << 22);

  static Stream<JsonNode> images() throws IOException {
    List<JsonNode> out = new ArrayList<>();
    new ObjectMapper().readTree(TestData.root().resolve("goldens/python/tiny-blip2.json").toFile())
        .get("pixel_values").forEach(out::add);
    return out.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("images")
  void pixelsMatchPython(JsonNode expected) {
    PreparedImage prepared = family().prepare(DECODER.decode(TestData.bytes(expected.get("image").asText())));

    float[] pixels = prepared.encoderInputs().getFirst().pixels();
    assertThat(prepared.encoderInputs().getFirst().shape()).containsExactly(1, 3, 32, 32);
    double sum = 0;
    double absSum = 0;
    for (float v : pixels) {
      sum += v;
      absSum += Math.abs(v);
    }
    assertThat(sum).isCloseTo(expected.get("sum").asDouble(), within(1e-3));
    assertThat(absSum).isCloseTo(expected.get("abs_sum").asDouble(), within(1e-3));
    for (int i = 0; i < 8; i++) {
      assertThat((double) pixels[i]).isCloseTo(expected.get("first8").get(i).asDouble(), within(1e-6));
    }
  }

  @Test
  void imageTokensMoveInFrontOfEverythingElse() {
    FamilyModel family = family();
    int[] tokenized = {1, 766, 766, 40, 41};

    assertThat(family.finishIds(tokenized)).containsExactly(766, 766, 1, 40, 41);
    assertThat(family.prepare(new RgbImage(8, 8, new byte[8 * 8 * 3])).promptText()).isEqualTo("<image>".repeat(8));
  }

  private static FamilyModel family() {
    return ModelFamilies.builtIn().named("blip2").open(ModelDirectory.open(TestData.root().resolve("models").resolve("tiny-blip2")));
  }
}
