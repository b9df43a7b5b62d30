package dev.vlm.server.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.GZIPInputStream;

/**
 * Reads the PIL reference fixtures under {@code src/test/resources/image/}, written by {@code
 * tools/pilref/make_reference.py}.
 */
final class ReferenceData {
  private static final String ROOT = "/image/";
  private static final Map<String, RgbImage> DECODED = new ConcurrentHashMap<>();

  private ReferenceData() {}

  static JsonNode manifest() {
    try (InputStream in = open("manifest.json")) {
      return new ObjectMapper().readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<JsonNode> cases(String section) {
    List<JsonNode> cases = new ArrayList<>();
    manifest().get(section).forEach(cases::add);
    return cases;
  }

  static byte[] bytes(String path) {
    try (InputStream in = open(path)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A gzip-compressed fixture, uncompressed. */
  static byte[] gunzip(String path) {
    try (InputStream in = new GZIPInputStream(open(path))) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A gzip-compressed little-endian float32 fixture. */
  static float[] floats(String path) {
    ByteBuffer buffer = ByteBuffer.wrap(gunzip(path)).order(ByteOrder.LITTLE_ENDIAN);
    float[] values = new float[buffer.remaining() / 4];
    buffer.asFloatBuffer().get(values);
    return values;
  }

  static JsonNode json(String path) {
    try (InputStream in = open(path)) {
      return new ObjectMapper().readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Decodes a fixture image (once) with a decoder whose limits the fixtures never reach. */
  static RgbImage decodedInput(String path) {
    return DECODED.computeIfAbsent(
        path, p -> new ImageDecoder(1 << 24, 1 << 24).decode(bytes(p)));
  }

  private static InputStream open(String path) {
    InputStream in = ReferenceData.class.getResourceAsStream(ROOT + path);
    if (in == null) {
      throw new IllegalStateException(
          "missing test fixture " + ROOT + path + "; run tools/pilref/make_reference.py");
    }
    return in;
  }
}
