package dev.vlm.server.text;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The tokenizer fixtures under src/test/resources/text and their transformers.js reference. */
final class Fixtures {
  static final List<String> TOKENIZERS = List.of("bytelevel", "llama", "metaspace");

  private Fixtures() {}

  /** One reference encoding written by make_expected.mjs. */
  record Expected(
      String text, int[] ids, int[] idsWithoutSpecialTokens, String decoded,
      String decodedSkippingSpecial) {}

  static Path dir(String name) {
    try {
      return Path.of(Fixtures.class.getResource("/text/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static Tokenizer load(String name) {
    return Tokenizer.load(dir(name));
  }

  /** The entries written by make_expected.mjs for one tokenizer. */
  @SuppressWarnings("unchecked")
  static List<Expected> expected(String name) {
    Map<String, Object> root;
    try (InputStream in = Fixtures.class.getResourceAsStream("/text/expected_encodings.json");
        JsonParser parser = new JsonFactory().createParser(in)) {
      parser.nextToken();
      root = (Map<String, Object>) read(parser);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<Map<String, Object>> entries =
        (List<Map<String, Object>>) ((Map<String, Object>) root.get("tokenizers")).get(name);
    List<Expected> result = new ArrayList<>();
    for (Map<String, Object> entry : entries) {
      result.add(
          new Expected(
              (String) entry.get("text"),
              ints(entry.get("ids")),
              ints(entry.get("idsWithoutSpecialTokens")),
              (String) entry.get("decoded"),
              (String) entry.get("decodedSkippingSpecial")));
    }
    return result;
  }

  private static int[] ints(Object list) {
    return ((List<?>) list).stream().mapToInt(x -> ((Number) x).intValue()).toArray();
  }

  // Plain maps and lists: the test needs no data binding.
  private static Object read(JsonParser parser) throws IOException {
    JsonToken token = parser.currentToken();
    switch (token) {
      case START_OBJECT -> {
        Map<String, Object> map = new LinkedHashMap<>();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String key = parser.currentName();
          parser.nextToken();
          map.put(key, read(parser));
        }
        return map;
      }
      case START_ARRAY -> {
        List<Object> list = new ArrayList<>();
        while (parser.nextToken() != JsonToken.END_ARRAY) {
          list.add(read(parser));
        }
        return list;
      }
      case VALUE_STRING -> {
        return parser.getText();
      }
      case VALUE_NUMBER_INT -> {
        return parser.getLongValue();
      }
      case VALUE_NUMBER_FLOAT -> {
        return parser.getDoubleValue();
      }
      case VALUE_TRUE, VALUE_FALSE -> {
        return token == JsonToken.VALUE_TRUE;
      }
      default -> {
        return null;
      }
    }
  }
}
