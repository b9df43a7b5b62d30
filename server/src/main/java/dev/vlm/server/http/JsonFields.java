package dev.vlm.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Typed reads of an OpenAI request body's fields. Absent and {@code null} fields are unset;
 * a field of the wrong JSON type is a 400 naming it, so nothing is silently coerced.
 */
final class JsonFields {
  private final JsonNode body;

  JsonFields(JsonNode body) {
    this.body = body;
  }

  /**
   * @throws ApiError if the body has a field outside {@code known}, as OpenAI's API refuses
   *     unrecognised arguments rather than ignoring a typo
   */
  void requireKnown(Set<String> known) {
    for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!known.contains(name)) {
        throw ApiError.badRequest(name, "unrecognized request argument; supported: " + known.stream().sorted().toList());
      }
    }
  }

  boolean has(String name) {
    JsonNode v = body.get(name);
    return v != null && !v.isNull();
  }

  JsonNode node(String name) {
    return body.get(name);
  }

  String requiredString(String name) {
    JsonNode v = body.get(name);
    if (v == null || v.isNull()) {
      throw ApiError.badRequest(name, "is required");
    }
    if (!v.isTextual()) {
      throw ApiError.badRequest(name, "must be a string, got " + v.getNodeType().toString().toLowerCase());
    }
    return v.asText();
  }

  Optional<String> string(String name) {
    return has(name) ? Optional.of(requiredString(name)) : Optional.empty();
  }

  OptionalLong integer(String name) {
    if (!has(name)) {
      return OptionalLong.empty();
    }
    JsonNode v = body.get(name);
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw ApiError.badRequest(name, "must be an integer, got " + v);
    }
    return OptionalLong.of(v.asLong());
  }

  OptionalDouble number(String name) {
    if (!has(name)) {
      return OptionalDouble.empty();
    }
    JsonNode v = body.get(name);
    if (!v.isNumber()) {
      throw ApiError.badRequest(name, "must be a number, got " + v);
    }
    return OptionalDouble.of(v.asDouble());
  }

  boolean bool(String name, boolean fallback) {
    if (!has(name)) {
      return fallback;
    }
    JsonNode v = body.get(name);
    if (!v.isBoolean()) {
      throw ApiError.badRequest(name, "must be true or false, got " + v);
    }
    return v.asBoolean();
  }

  /** A string or a list of strings (as OpenAI's {@code stop}); empty when unset. */
  List<String> stringOrList(String name) {
    if (!has(name)) {
      return List.of();
    }
    JsonNode v = body.get(name);
    if (v.isTextual()) {
      return List.of(v.asText());
    }
    if (!v.isArray()) {
      throw ApiError.badRequest(name, "must be a string or a list of strings, got " + v.getNodeType().toString().toLowerCase());
    }
    List<String> values = new ArrayList<>();
    for (int i = 0; i < v.size(); i++) {
      if (!v.get(i).isTextual()) {
        throw ApiError.badRequest(name + "[" + i + "]", "must be a string, got " + v.get(i));
      }
      values.add(v.get(i).asText());
    }
    return values;
  }
}
