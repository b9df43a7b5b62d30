package dev.vlm.server.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vlm.server.TestData;
import dev.vlm.server.image.ImageDecoder;
import dev.vlm.server.image.RgbImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each family's image preprocessing equals Python transformers' PIL-backed image processor on
 * images that need resampling: the same tensor shape, and every value within {@value #TOLERANCE}
 * of Python's (testdata/goldens/python/pixels, written by tools/reference/python_goldens.py).
 *
 * <p>The tolerance is float rounding only: both sides resample the uint8 image with PIL's integer
 * arithmetic, so pixels agree exactly before normalization; Python normalizes in float32 after
 * rescaling in float64 (or float32), which can differ from the server's fused float arithmetic in
 * the last bit (values are about 1 in magnitude, one float32 ulp there is 1.2e-7).
 */
class PythonPixelParityTest {
  private static final double TOLERANCE = 1e-5;
  private static final List<String> MODELS =
      List.of("tiny-llava", "tiny-idefics3", "tiny-smolvlm", "tiny-qwen2-vl", "tiny-qwen2.5-vl", "tiny-lfm2-vl",
          "tiny-kosmos2.5");
  private static final ImageDecoder DECODER = new ImageDecoder(1 << 22, 1 << 22);

  record PixelCase(String model, JsonNode entry) {
    @Override
    public String toString() {
      return model + "/" + entry.get("image").asText().replaceFirst(".*/", "");
    }
  }

  static Stream<PixelCase> cases() throws IOException {
    List<PixelCase> cases = new ArrayList<>();
    for (String model : MODELS) {
      JsonNode root = new ObjectMapper().readTree(python().resolve(model + ".json").toFile());
      root.get("pixel_values").forEach(entry -> cases.add(new PixelCase(model, entry)));
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void pixelValuesMatchPython(PixelCase golden) {
    ModelDirectory dir = ModelDirectory.open(TestData.root().resolve("models").resolve(golden.model()));
    FamilyModel family = ModelFamilies.builtIn().select(dir, Optional.empty()).open(dir);
    RgbImage image = DECODER.decode(TestData.bytes(golden.entry().get("image").asText()));
    PreparedImage prepared = family.prepare(image);

    float[] expected = readFloats(python().resolve(golden.entry().get("file").asText()));
    float[] actual = concatenated(prepared.encoderInputs());
    long expectedCount = 1;
    for (JsonNode d : golden.entry().get("dims")) {
      expectedCount *= d.asLong();
    }
    assertThat((long) expected.length).isEqualTo(expectedCount);
    assertThat(actual).as("values (frames or patches of the image, in the graph's layout)").hasSameSizeAs(expected);
    int worst = 0;
    for (int i = 0; i < actual.length; i++) {
      if (Math.abs(actual[i] - expected[i]) > Math.abs(actual[worst] - expected[worst])) {
        worst = i;
      }
    }
    assertThat((double) actual[worst])
        .as("largest difference, at flat index %d of %d", worst, actual.length)
        .isCloseTo(expected[worst], org.assertj.core.api.Assertions.within(TOLERANCE));
  }

  private static float[] concatenated(List<PixelBatch> inputs) {
    int total = inputs.stream().mapToInt(b -> b.pixels().length).sum();
    float[] out = new float[total];
    int at = 0;
    for (PixelBatch batch : inputs) {
      System.arraycopy(batch.pixels(), 0, out, at, batch.pixels().length);
      at += batch.pixels().length;
    }
    return out;
  }

  private static Path python() {
    return TestData.root().resolve("goldens").resolve("python");
  }

  private static float[] readFloats(Path gz) {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
      ByteBuffer bytes = ByteBuffer.wrap(in.readAllBytes()).order(ByteOrder.LITTLE_ENDIAN);
      float[] out = new float[bytes.remaining() / Float.BYTES];
      bytes.asFloatBuffer().get(out);
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
