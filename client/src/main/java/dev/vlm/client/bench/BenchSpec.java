package dev.vlm.client.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The request mix of a benchmark: weighted {@link RequestClass}es.
 *
 * <p>A spec file is JSON: an array of classes, or an object {@code {"classes": [...]}}.
 *
 * <pre>{@code
 * [
 *   {"name": "photo-qa", "weight": 3,
 *    "images": ["cat.png"],
 *    "prompt": {"words": 64},
 *    "output": {"min": 16, "max": 256}},
 *   {"name": "text-only", "weight": 1,
 *    "images": "none",
 *    "prompt": "Write a story about a lighthouse.",
 *    "output": 128,
 *    "ignore_eos": true, "temperature": 0}
 * ]
 * }</pre>
 *
 * <p>Fields of a class:
 *
 * <ul>
 *   <li>{@code name} (optional): a label; default {@code class-<index>}.
 *   <li>{@code weight} (optional): a positive number, the relative share; default 1.
 *   <li>{@code images} (optional): an array of image file paths (relative paths resolve
 *       against the spec file's folder), or {@code "none"}; default none.
 *   <li>{@code prompt} (required): text as a string or {@code {"text": "..."}}, or {@code
 *       {"words": N}} for N words generated deterministically from the run's seed.
 *   <li>{@code output} (required): a number of tokens, or {@code {"min": A, "max": B}} for a
 *       length drawn uniformly from A..B.
 *   <li>{@code ignore_eos} (optional): default {@code true}, so outputs have the drawn length.
 *   <li>{@code temperature} (optional): default 0 (greedy).
 * </ul>
 *
 * <p>Unknown fields are rejected, so a typo does not silently fall back to a default. Every
 * error is a {@link BenchSpecException} naming the field, e.g. {@code classes[1].output.min}.
 *
 * @param classes the request classes, at least one
 */
public record BenchSpec(List<RequestClass> classes) {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> CLASS_FIELDS =
      Set.of("name", "weight", "images", "prompt", "output", "ignore_eos", "temperature");

  /** The built-in mix's output range. */
  static final OutputLength DEFAULT_OUTPUT = new OutputLength(16, 256);

  /** The built-in mix's prompt length in words. */
  static final int DEFAULT_PROMPT_WORDS = 32;

  /**
   * Validates the mix.
   *
   * @throws BenchSpecException if there is no class
   */
  public BenchSpec {
    classes = List.copyOf(classes);
    if (classes.isEmpty()) {
      throw new BenchSpecException("classes must hold at least one request class");
    }
  }

  /**
   * The mix used when no spec is given: one class with a {@value #DEFAULT_PROMPT_WORDS}-word
   * prompt, 16..256 output tokens with {@code ignore_eos}, greedy, and {@code image} if given.
   *
   * @param image an image sent with every request, or empty for text only
   * @return the default mix
   */
  public static BenchSpec defaultSpec(Optional<Path> image) {
    return new BenchSpec(
        List.of(
            new RequestClass(
                "default",
                1,
                image.stream().toList(),
                new PromptSource.Words(DEFAULT_PROMPT_WORDS),
                DEFAULT_OUTPUT,
                true,
                0f)));
  }

  /**
   * Reads a spec file; relative image paths resolve against the file's folder.
   *
   * @param file the JSON spec
   * @return the mix
   * @throws BenchSpecException if the file cannot be read or is not a valid spec
   */
  public static BenchSpec read(Path file) {
    String json;
    try {
      json = Files.readString(file);
    } catch (IOException e) {
      throw new BenchSpecException("cannot read spec file " + file + ": " + e, e);
    }
    Path folder = file.toAbsolutePath().getParent();
    return parse(json, folder == null ? Path.of("") : folder);
  }

  /**
   * Parses a spec.
   *
   * @param json the spec text
   * @param baseFolder the folder relative image paths resolve against
   * @return the mix
   * @throws BenchSpecException if the text is not a valid spec; the message names the field
   */
  public static BenchSpec parse(String json, Path baseFolder) {
    Objects.requireNonNull(json, "json");
    Objects.requireNonNull(baseFolder, "baseFolder");
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new BenchSpecException("spec is not valid JSON: " + e.getOriginalMessage(), e);
    }
    JsonNode classes = root;
    if (root != null && root.isObject()) {
      rejectUnknownFields(root, Set.of("classes"), "spec");
      classes = root.get("classes");
    }
    if (classes == null || !classes.isArray()) {
      throw new BenchSpecException("classes must be a JSON array of request classes");
    }
    List<RequestClass> parsed = new ArrayList<>();
    for (int i = 0; i < classes.size(); i++) {
      String where = "classes[" + i + "]";
      try {
        parsed.add(parseClass(classes.get(i), i, baseFolder, where));
      } catch (BenchSpecException e) {
        if (e.getMessage().startsWith(where)) {
          throw e;
        }
        throw new BenchSpecException(where + "." + e.getMessage(), e);
      }
    }
    return new BenchSpec(parsed);
  }

  private static RequestClass parseClass(JsonNode node, int index, Path base, String where) {
    if (!node.isObject()) {
      throw new BenchSpecException(where + " must be a JSON object");
    }
    rejectUnknownFields(node, CLASS_FIELDS, where);
    String name = node.has("name") ? text(node.get("name"), where + ".name") : "class-" + index;
    double weight = node.has("weight") ? number(node.get("weight"), where + ".weight") : 1;
    return new RequestClass(
        name,
        weight,
        images(node.get("images"), base, where + ".images"),
        prompt(node.get("prompt"), where + ".prompt"),
        output(node.get("output"), where + ".output"),
        !node.has("ignore_eos") || bool(node.get("ignore_eos"), where + ".ignore_eos"),
        node.has("temperature")
            ? (float) number(node.get("temperature"), where + ".temperature")
            : 0f);
  }

  private static List<Path> images(JsonNode node, Path base, String where) {
    if (node == null || node.isNull() || (node.isTextual() && node.asText().equals("none"))) {
      return List.of();
    }
    if (!node.isArray()) {
      throw new BenchSpecException(where + " must be an array of file paths or \"none\"");
    }
    List<Path> images = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      images.add(base.resolve(text(node.get(i), where + "[" + i + "]")));
    }
    return images;
  }

  private static PromptSource prompt(JsonNode node, String where) {
    if (node == null) {
      throw new BenchSpecException(where + " is required: text or {\"words\": N}");
    }
    if (node.isTextual()) {
      return new PromptSource.Text(node.asText());
    }
    if (node.isObject()) {
      rejectUnknownFields(node, Set.of("text", "words"), where);
      if (node.has("text") == node.has("words")) {
        throw new BenchSpecException(where + " must have exactly one of \"text\" or \"words\"");
      }
      if (node.has("text")) {
        return new PromptSource.Text(text(node.get("text"), where + ".text"));
      }
      return new PromptSource.Words(integer(node.get("words"), where + ".words"));
    }
    throw new BenchSpecException(where + " must be text or {\"words\": N}, got " + node);
  }

  private static OutputLength output(JsonNode node, String where) {
    if (node == null) {
      throw new BenchSpecException(where + " is required: N or {\"min\": A, \"max\": B}");
    }
    if (node.isNumber()) {
      int tokens = integer(node, where);
      if (tokens < 1) {
        throw new BenchSpecException(where + " must be at least 1, got " + tokens);
      }
      return OutputLength.fixed(tokens);
    }
    if (node.isObject()) {
      rejectUnknownFields(node, Set.of("min", "max"), where);
      if (!node.has("min") || !node.has("max")) {
        throw new BenchSpecException(where + " needs both \"min\" and \"max\"");
      }
      int min = integer(node.get("min"), where + ".min");
      int max = integer(node.get("max"), where + ".max");
      if (min < 1) {
        throw new BenchSpecException(where + ".min must be at least 1, got " + min);
      }
      if (max < min) {
        throw new BenchSpecException(
            where + ".max (" + max + ") must be at least " + where + ".min (" + min + ")");
      }
      return new OutputLength(min, max);
    }
    throw new BenchSpecException(where + " must be N or {\"min\": A, \"max\": B}, got " + node);
  }

  private static void rejectUnknownFields(JsonNode node, Set<String> known, String where) {
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!known.contains(name)) {
        throw new BenchSpecException(
            where + "." + name + " is not a known field; expected one of " + known);
      }
    }
  }

  private static String text(JsonNode node, String where) {
    if (!node.isTextual() || node.asText().isBlank()) {
      throw new BenchSpecException(where + " must be a non-empty string, got " + node);
    }
    return node.asText();
  }

  private static double number(JsonNode node, String where) {
    if (!node.isNumber()) {
      throw new BenchSpecException(where + " must be a number, got " + node);
    }
    return node.asDouble();
  }

  private static int integer(JsonNode node, String where) {
    if (!node.isIntegralNumber() || !node.canConvertToInt()) {
      throw new BenchSpecException(where + " must be an integer, got " + node);
    }
    return node.asInt();
  }

  private static boolean bool(JsonNode node, String where) {
    if (!node.isBoolean()) {
      throw new BenchSpecException(where + " must be true or false, got " + node);
    }
    return node.asBoolean();
  }
}
