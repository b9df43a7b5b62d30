package dev.vlm.server.text;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * The token strings and flags of a tokenizer.json that DJL's binding does not expose: token to
 * id, which ids are special added tokens, which are SentencePiece byte-fallback tokens
 * ({@code <0x41>}). Immutable, so thread-safe.
 *
 * <p>Read with the streaming parser: vocabularies run to hundreds of thousands of entries and the
 * merges, which are skipped, to more.
 */
final class VocabularyIndex {
  private static final Pattern BYTE_TOKEN = Pattern.compile("<0x[0-9A-Fa-f]{2}>");

  private final Map<String, Integer> modelVocab;
  private final Map<String, Integer> addedTokens;
  private final boolean[] special;
  private final boolean[] byteFallback;
  private final int size;

  private VocabularyIndex(
      Map<String, Integer> modelVocab,
      Map<String, Integer> addedTokens,
      boolean[] special,
      boolean[] byteFallback,
      int size) {
    this.modelVocab = modelVocab;
    this.addedTokens = addedTokens;
    this.special = special;
    this.byteFallback = byteFallback;
    this.size = size;
  }

  /**
   * @param json the bytes of a tokenizer.json
   * @param source the file name for error messages
   * @throws TokenizerException if the JSON, the model vocabulary or the added tokens are malformed
   */
  static VocabularyIndex parse(byte[] json, String source) {
    Reader reader = new Reader(source);
    try (JsonParser parser = new JsonFactory().createParser(json)) {
      reader.readRoot(parser);
    } catch (IOException e) {
      throw new TokenizerException(source + " is not valid JSON: " + e.getMessage(), e);
    }
    return reader.build();
  }

  /** Added tokens take precedence over the model vocabulary, as in Hugging Face tokenizers. */
  OptionalInt id(String token) {
    Integer id = addedTokens.get(token);
    if (id == null) {
      id = modelVocab.get(token);
    }
    return id == null ? OptionalInt.empty() : OptionalInt.of(id);
  }

  boolean isSpecial(int id) {
    return id >= 0 && id < size && special[id];
  }

  boolean isByteFallback(int id) {
    return id >= 0 && id < size && byteFallback[id];
  }

  int size() {
    return size;
  }

  /** Collects the fields of interest while walking the document once. */
  private static final class Reader {
    private final String source;
    private final Map<String, Integer> vocab = new HashMap<>();
    private final Map<String, Integer> added = new HashMap<>();
    private final Map<Integer, Boolean> specialById = new HashMap<>();
    private boolean sawVocab;
    private boolean usesByteFallback;

    Reader(String source) {
      this.source = source;
    }

    void readRoot(JsonParser parser) throws IOException {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw new TokenizerException(source + " does not hold a JSON object");
      }
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String field = parser.currentName();
        JsonToken value = parser.nextToken();
        if ("model".equals(field) && value == JsonToken.START_OBJECT) {
          readModel(parser);
        } else if ("added_tokens".equals(field) && value == JsonToken.START_ARRAY) {
          readAddedTokens(parser);
        } else {
          parser.skipChildren();
        }
      }
    }

    private void readModel(JsonParser parser) throws IOException {
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String field = parser.currentName();
        JsonToken value = parser.nextToken();
        if ("vocab".equals(field) && value == JsonToken.START_OBJECT) {
          readVocabObject(parser);
        } else if ("vocab".equals(field) && value == JsonToken.START_ARRAY) {
          readVocabArray(parser);
        } else if ("byte_fallback".equals(field)) {
          usesByteFallback = value == JsonToken.VALUE_TRUE;
        } else {
          parser.skipChildren();
        }
      }
    }

    // BPE, WordPiece and WordLevel store {token: id}.
    private void readVocabObject(JsonParser parser) throws IOException {
      sawVocab = true;
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String token = parser.currentName();
        if (parser.nextToken() != JsonToken.VALUE_NUMBER_INT || parser.getLongValue() < 0
            || parser.getLongValue() > Integer.MAX_VALUE - 1) {
          throw new TokenizerException(
              source + ": vocabulary id of " + token + " is not a non-negative int");
        }
        vocab.put(token, parser.getIntValue());
      }
    }

    // Unigram stores [[token, score], ...] in id order.
    private void readVocabArray(JsonParser parser) throws IOException {
      sawVocab = true;
      int id = 0;
      while (parser.nextToken() == JsonToken.START_ARRAY) {
        if (parser.nextToken() != JsonToken.VALUE_STRING) {
          throw new TokenizerException(source + ": malformed vocabulary entry " + id);
        }
        vocab.putIfAbsent(parser.getText(), id);
        while (parser.nextToken() != JsonToken.END_ARRAY) {
          parser.skipChildren();
        }
        id++;
      }
    }

    private void readAddedTokens(JsonParser parser) throws IOException {
      while (parser.nextToken() == JsonToken.START_OBJECT) {
        Integer id = null;
        String content = null;
        boolean isSpecial = false;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String field = parser.currentName();
          JsonToken value = parser.nextToken();
          if ("id".equals(field) && value == JsonToken.VALUE_NUMBER_INT
              && parser.getLongValue() >= 0 && parser.getLongValue() < Integer.MAX_VALUE) {
            id = parser.getIntValue();
          } else if ("content".equals(field) && value == JsonToken.VALUE_STRING) {
            content = parser.getText();
          } else if ("special".equals(field)) {
            isSpecial = value == JsonToken.VALUE_TRUE;
          } else {
            parser.skipChildren();
          }
        }
        if (id == null || content == null) {
          throw new TokenizerException(
              source + ": an entry of added_tokens lacks a valid id or content");
        }
        added.put(content, id);
        specialById.put(id, isSpecial);
      }
    }

    VocabularyIndex build() {
      if (!sawVocab) {
        throw new TokenizerException(source + ": model.vocab is missing");
      }
      int size = 0;
      for (int id : vocab.values()) {
        size = Math.max(size, id + 1);
      }
      for (int id : added.values()) {
        size = Math.max(size, id + 1);
      }
      boolean[] special = new boolean[size];
      specialById.forEach((id, isSpecial) -> special[id] = isSpecial);
      boolean[] byteFallback = new boolean[size];
      if (usesByteFallback) {
        vocab.forEach(
            (token, id) -> {
              if (BYTE_TOKEN.matcher(token).matches()) {
                byteFallback[id] = true;
              }
            });
      }
      return new VocabularyIndex(Map.copyOf(vocab), Map.copyOf(added), special, byteFallback, size);
    }
  }
}
