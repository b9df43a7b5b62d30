package dev.vlm.server.model.described;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A model family written as data: what {@link DescribedFamily} reads from a family description
 * (a JSON document; see docs/MODELS.md for the fields and examples). Parsing checks every field
 * and names the bad one; values that depend on a model directory ({@link ConfigValue}) are read
 * when a model opens. Immutable.
 *
 * @param name the family's name
 * @param modelTypes the {@code config.json} {@code model_type}s it serves
 * @param requiredFiles files a model directory must hold
 * @param maxImages most images per request
 * @param processorKind the image processor kind ({@link ProcessorKinds})
 * @param processorSettings settings laid over {@code preprocessor_config.json}
 * @param imageToken the image placeholder token
 * @param imageTokens image tokens per frame
 * @param layout the text around each image's token runs
 * @param promptRewrites rewrites of the joined prompt, applied in order
 * @param imageTokensFirst whether every image token moves in front of the tokenized text (BOS
 *     included), as BLIP-2's processor places them
 */
record FamilyDescription(
    String name, Set<String> modelTypes, List<String> requiredFiles, int maxImages, String processorKind,
    ObjectNode processorSettings, ConfigValue imageToken, TokenCount imageTokens, ImageLayout layout,
    List<PromptRewrite> promptRewrites, boolean imageTokensFirst) {
  private static final Set<String> KEYS = new TreeSet<>(Set.of(
      "name", "about", "model_types", "required_files", "max_images", "image_processor", "image_token",
      "image_tokens", "layout", "prompt_rewrites", "image_tokens_first", "positions"));
  private static final Set<String> PROCESSOR_KEYS = Set.of("kind", "settings");
  private static final List<String> DEFAULT_FILES =
      List.of("config.json", "preprocessor_config.json", "tokenizer.json", "tokenizer_config.json");
  private static final String CACHE_INDEX = "cache_index";

  /**
   * Parses and checks a description.
   *
   * @throws IllegalArgumentException naming the field if one is missing, unknown, of the wrong
   *     type or value
   */
  static FamilyDescription parse(JsonNode root) {
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("a family description must be a JSON object");
    }
    root.fieldNames().forEachRemaining(key -> {
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException("unknown field '" + key + "'; allowed: " + KEYS);
      }
    });
    String name = text(root, "name");
    if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]*") || name.endsWith(DescribedFamily.FILE_SUFFIX)) {
      throw new IllegalArgumentException("field 'name' must start with a letter or digit, use only A-Z a-z 0-9 . _ -"
          + " and not end in " + DescribedFamily.FILE_SUFFIX + ", got '" + name + "'");
    }
    positions(root.path("positions"));
    JsonNode processor = root.path("image_processor");
    if (!processor.isObject()) {
      throw new IllegalArgumentException("field 'image_processor' is required: {\"kind\": one of "
          + ProcessorKinds.names() + ", \"settings\": {...}}");
    }
    processor.fieldNames().forEachRemaining(key -> {
      if (!PROCESSOR_KEYS.contains(key)) {
        throw new IllegalArgumentException("field 'image_processor' has unknown key '" + key + "'; allowed: "
            + PROCESSOR_KEYS);
      }
    });
    String kind = text(processor, "kind", "image_processor.kind");
    if (!ProcessorKinds.exists(kind)) {
      throw new IllegalArgumentException("field 'image_processor.kind' is '" + kind + "'; known kinds: "
          + ProcessorKinds.names());
    }
    JsonNode settings = processor.path("settings");
    if (!settings.isMissingNode() && !settings.isObject()) {
      throw new IllegalArgumentException("field 'image_processor.settings' must be an object, got " + settings);
    }
    JsonNode first = root.path("image_tokens_first");
    if (!first.isMissingNode() && !first.isBoolean()) {
      throw new IllegalArgumentException("field 'image_tokens_first' must be true or false, got " + first);
    }
    return new FamilyDescription(
        name,
        Set.copyOf(texts(root.path("model_types"), "model_types", List.of())),
        requiredFiles(root.path("required_files")),
        maxImages(root.path("max_images")),
        kind,
        settings.isObject() ? ((ObjectNode) settings).deepCopy() : JsonNodeFactory.instance.objectNode(),
        imageToken(root.path("image_token")),
        TokenCount.parse(root.path("image_tokens")),
        ImageLayout.parse(root.path("layout")),
        rewrites(root.path("prompt_rewrites")),
        first.asBoolean(false));
  }

  /** The scheme a description's decoder positions follow: only the cache index is data. */
  private static void positions(JsonNode node) {
    if (node.isMissingNode() || (node.isTextual() && node.asText().equals(CACHE_INDEX))) {
      return;
    }
    if (node.isTextual() && node.asText().equals("mrope")) {
      throw new IllegalArgumentException("field 'positions' is 'mrope': multimodal RoPE positions depend on each"
          + " image's patch grid and are computed by code; serve such models with the qwen2_vl family");
    }
    throw new IllegalArgumentException("field 'positions' must be '" + CACHE_INDEX + "', got " + node);
  }

  private static ConfigValue imageToken(JsonNode node) {
    if (node.isMissingNode()) {
      throw new IllegalArgumentException("field 'image_token' is required, e.g. {\"from\": "
          + "[\"processor_config.json#/image_token\"], \"default\": \"<image>\"}");
    }
    return ConfigValue.parse(node, "image_token");
  }

  private static int maxImages(JsonNode node) {
    if (!node.canConvertToExactIntegral() || !node.canConvertToInt() || node.intValue() < 1) {
      throw new IllegalArgumentException("field 'max_images' must be a positive integer, got "
          + (node.isMissingNode() ? "nothing" : node));
    }
    return node.intValue();
  }

  private static List<PromptRewrite> rewrites(JsonNode node) {
    if (node.isMissingNode()) {
      return List.of();
    }
    if (!node.isArray()) {
      throw new IllegalArgumentException("field 'prompt_rewrites' must be a list, got " + node);
    }
    List<PromptRewrite> out = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      out.add(PromptRewrite.parse(node.get(i), "prompt_rewrites[" + i + "]"));
    }
    return List.copyOf(out);
  }

  private static List<String> requiredFiles(JsonNode node) {
    List<String> files = texts(node, "required_files", DEFAULT_FILES);
    for (String file : files) {
      if (file.startsWith("/") || file.contains("..") || file.contains("\\")) {
        throw new IllegalArgumentException("field 'required_files' must name files inside the model directory, got '"
            + file + "'");
      }
    }
    return files;
  }

  private static String text(JsonNode node, String field) {
    return text(node, field, field);
  }

  private static String text(JsonNode node, String key, String field) {
    JsonNode value = node.path(key);
    if (!value.isTextual() || value.asText().isBlank()) {
      throw new IllegalArgumentException("field '" + field + "' must be non-empty text, got "
          + (value.isMissingNode() ? "nothing" : value));
    }
    return value.asText();
  }

  /** A list of non-empty texts; {@code fallback} when absent, required when the fallback is empty. */
  private static List<String> texts(JsonNode node, String field, List<String> fallback) {
    if (node.isMissingNode() && !fallback.isEmpty()) {
      return fallback;
    }
    if (!node.isArray() || node.isEmpty()) {
      throw new IllegalArgumentException("field '" + field + "' must be a non-empty list of texts, got "
          + (node.isMissingNode() ? "nothing" : node));
    }
    Set<String> out = new LinkedHashSet<>();
    for (JsonNode item : node) {
      if (!item.isTextual() || item.asText().isBlank()) {
        throw new IllegalArgumentException("field '" + field + "' must hold only non-empty texts, got " + item);
      }
      out.add(item.asText());
    }
    return List.copyOf(out);
  }
}
