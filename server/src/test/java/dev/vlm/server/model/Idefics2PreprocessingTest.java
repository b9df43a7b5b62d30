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
 * The idefics2 family's frames equal Python's {@code Idefics2ImageProcessorPil} (recorded in
 * testdata/goldens/python/tiny-idefics2.json): the four quarters and the whole image, each at its
 * own size, with the same pixel sums and first values; and its prompt text is Python's.
 */
class Idefics2PreprocessingTest {
  private static final ImageDecoder DECODER = new ImageDecoder(1 << 22, 1 << 22);
  private static final String FAKE = "<fake_token_around_image>";

  static Stream<JsonNode> images() throws IOException {
    List<JsonNode> out = new ArrayList<>();
    golden().get("pixel_values").forEach(out::add);
    return out.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("images")
  void framesMatchPython(JsonNode expected) {
    RgbImage image = DECODER.decode(TestData.bytes(expected.get("image").asText()));
    PreparedImage prepared = family().prepare(image);

    JsonNode frames = expected.get("frames");
    assertThat(prepared.encoderInputs()).hasSize(frames.size());
    for (int f = 0; f < frames.size(); f++) {
      JsonNode frame = frames.get(f);
      PixelBatch input = prepared.encoderInputs().get(f);
      assertThat(input.shape()).containsExactly(1, 1, 3, frame.get("height").asLong(), frame.get("width").asLong());
      double sum = 0;
      double absSum = 0;
      for (float v : input.pixels()) {
        sum += v;
        absSum += Math.abs(v);
      }
      // Pixels agree exactly before normalization; the sums differ by float rounding only.
      assertThat(sum).as("frame %d sum", f).isCloseTo(frame.get("sum").asDouble(), within(1e-3));
      assertThat(absSum).as("frame %d abs sum", f).isCloseTo(frame.get("abs_sum").asDouble(), within(1e-3));
      for (int i = 0; i < 8; i++) {
        assertThat((double) input.pixels()[i]).isCloseTo(frame.get("first8").get(i).asDouble(), within(1e-6));
      }
    }
  }

  @Test
  void promptTextIsPythonsForSplitImages() {
    PreparedImage prepared = family().prepare(new RgbImage(40, 20, new byte[40 * 20 * 3]));

    String frame = "<image>".repeat(8) + FAKE;
    assertThat(prepared.promptText()).isEqualTo(FAKE + frame.repeat(5));
    assertThat(prepared.inputTokens()).containsOnly(8).hasSize(5);
  }

  @Test
  void adjacentImagesShareABoundaryAndAWordIsSpacedOffIt() {
    FamilyModel family = family();
    String image = family.prepare(new RgbImage(40, 20, new byte[40 * 20 * 3])).promptText();

    String finished = family.finishPrompt("User:" + image + image + "Compare them.");

    assertThat(finished).doesNotContain(FAKE + FAKE).endsWith(FAKE + " Compare them.");
    assertThat(finished.split(FAKE, -1)).hasSize(2 * 6 - 1 + 1);
  }

  private static FamilyModel family() {
    return ModelFamilies.builtIn().named("idefics2").open(ModelDirectory.open(TestData.root().resolve("models").resolve("tiny-idefics2")));
  }

  private static JsonNode golden() {
    try {
      return new ObjectMapper().readTree(TestData.root().resolve("goldens/python/tiny-idefics2.json").toFile());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
