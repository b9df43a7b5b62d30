package dev.vlm.server.model.described;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import dev.vlm.server.model.ModelDirectory;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A setting that a family description reads from the model directory's JSON files rather than
 * fixing it: written as a literal ({@code 4}, {@code "<image>"}), or as
 * <pre>
 * {"from": ["processor_config.json#/image_seq_len", "config.json#/perceiver_config/resampler_n_latents"],
 *  "default": 64,
 *  "map": {"default": 0, "full": 1}}
 * </pre>
 * the first reference present in the directory (a file name, {@code #}, a JSON pointer), else the
 * default, then looked up in {@code map} when one is given. Immutable.
 *
 * @param from the references, in order of preference; empty for a literal
 * @param fallback the value when no reference is present
 * @param map a table from the found value's text to the value used; empty for none
 * @param field the description field this value belongs to, for messages
 */
record ConfigValue(List<Ref> from, Optional<JsonNode> fallback, Map<String, JsonNode> map, String field) {
  private static final Set<String> KEYS = Set.of("from", "default", "map");

  /**
   * One place in a model directory's JSON: a file and a JSON pointer into it.
   *
   * @param file a JSON file relative to the model directory
   * @param pointer where in it
   */
  record Ref(String file, JsonPointer pointer) {
    @Override
    public String toString() {
      return file + "#" + pointer;
    }
  }

  /**
   * Parses a value written in a description.
   *
   * @param node the literal or the {@code from / default / map} object
   * @param field the field's path in the description, for messages
   * @throws IllegalArgumentException naming {@code field} if the value is malformed
   */
  static ConfigValue parse(JsonNode node, String field) {
    if (node == null || node.isNull() || node.isArray()) {
      throw new IllegalArgumentException(
          "field '" + field + "' must be a literal or {\"from\": [...], \"default\": ..., \"map\": {...}}, got " + node);
    }
    if (!node.isObject()) {
      return new ConfigValue(List.of(), Optional.of(node), Map.of(), field);
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException("field '" + field + "' has unknown key '" + key + "'; allowed: " + KEYS);
      }
    }
    List<Ref> refs = new ArrayList<>();
    JsonNode from = node.path("from");
    if (!from.isMissingNode()) {
      if (!from.isArray() || from.isEmpty()) {
        throw new IllegalArgumentException("field '" + field + ".from' must be a non-empty list of \"file.json#/pointer\"");
      }
      for (JsonNode ref : from) {
        refs.add(ref(ref, field + ".from"));
      }
    }
    Optional<JsonNode> fallback = Optional.ofNullable(node.get("default")).filter(d -> !d.isNull());
    if (refs.isEmpty() && fallback.isEmpty()) {
      throw new IllegalArgumentException("field '" + field + "' needs 'from' or 'default'");
    }
    Map<String, JsonNode> map = new LinkedHashMap<>();
    JsonNode table = node.path("map");
    if (!table.isMissingNode()) {
      if (!table.isObject() || table.isEmpty()) {
        throw new IllegalArgumentException("field '" + field + ".map' must be a non-empty object");
      }
      table.properties().forEach(e -> map.put(e.getKey(), e.getValue()));
    }
    return new ConfigValue(List.copyOf(refs), fallback, map, field);
  }

  private static Ref ref(JsonNode text, String field) {
    String value = text.asText("");
    int hash = value.indexOf('#');
    if (!text.isTextual() || hash <= 0) {
      throw new IllegalArgumentException("field '" + field + "' entries must read \"file.json#/pointer\", got " + text);
    }
    String file = value.substring(0, hash);
    // Only the model directory's own JSON files: no absolute paths, no way out of it.
    if (!file.endsWith(".json") || file.startsWith("/") || file.contains("..") || file.contains("\\")) {
      throw new IllegalArgumentException(
          "field '" + field + "' must name a .json file inside the model directory, got '" + file + "'");
    }
    try {
      return new Ref(file, JsonPointer.compile(value.substring(hash + 1)));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("field '" + field + "' has a bad JSON pointer in '" + value + "': "
          + e.getMessage(), e);
    }
  }

  /** Whether the directory sets one of the references, or there is a default. */
  boolean isSet(ModelDirectory dir) {
    return fallback.isPresent() || from.stream().anyMatch(ref -> present(dir, ref));
  }

  private static boolean present(ModelDirectory dir, Ref ref) {
    JsonNode node = dir.optionalJson(ref.file()).at(ref.pointer());
    return !node.isMissingNode() && !node.isNull();
  }

  /**
   * The value for a model directory.
   *
   * @throws IllegalArgumentException naming the field and the references if none is present and
   *     there is no default, or if the found value is not in {@code map}
   */
  JsonNode resolve(ModelDirectory dir) {
    JsonNode found = null;
    Ref foundAt = null;
    for (Ref ref : from) {
      if (present(dir, ref)) {
        found = dir.optionalJson(ref.file()).at(ref.pointer());
        foundAt = ref;
        break;
      }
    }
    if (found == null) {
      found = fallback.orElseThrow(() -> new IllegalArgumentException(
          "field '" + field + "': none of " + from + " is set in " + dir.root() + ", and there is no default"));
    }
    if (map.isEmpty()) {
      return found;
    }
    JsonNode mapped = map.get(found.asText());
    if (mapped == null) {
      throw new IllegalArgumentException("field '" + field + "': the value " + found
          + (foundAt == null ? "" : " of " + foundAt) + " is not one of " + map.keySet());
    }
    return mapped;
  }

  /**
   * The value as a positive integer.
   *
   * @throws IllegalArgumentException naming the field if it is absent or not a positive integer
   */
  int positiveInt(ModelDirectory dir) {
    int value = integer(dir);
    if (value <= 0) {
      throw new IllegalArgumentException("field '" + field + "' must be positive, got " + value);
    }
    return value;
  }

  /**
   * The value as an integer.
   *
   * @throws IllegalArgumentException naming the field if it is absent or not an integer
   */
  int integer(ModelDirectory dir) {
    JsonNode value = resolve(dir);
    if (!value.canConvertToExactIntegral() || !value.canConvertToInt()) {
      throw new IllegalArgumentException("field '" + field + "' must be an integer, got " + value);
    }
    return value.intValue();
  }

  /**
   * The value as non-empty text.
   *
   * @throws IllegalArgumentException naming the field if it is absent, not text, or empty
   */
  String text(ModelDirectory dir) {
    JsonNode value = resolve(dir);
    if (!value.isTextual() || value.asText().isEmpty()) {
      throw new IllegalArgumentException("field '" + field + "' must be non-empty text, got " + value);
    }
    return value.asText();
  }
}
