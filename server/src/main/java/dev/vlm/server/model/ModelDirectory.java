package dev.vlm.server.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * A model directory in the Hugging Face export layout, with its {@code config.json} parsed.
 * Every lookup of a file goes through here, so a missing file is always reported by name.
 */
public final class ModelDirectory {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path root;
  private final JsonNode config;

  private ModelDirectory(Path root, JsonNode config) {
    this.root = root;
    this.config = config;
  }

  /**
   * @throws ModelLoadException if the directory or its config.json is missing or unreadable
   */
  public static ModelDirectory open(Path root) {
    if (!Files.isDirectory(root)) {
      throw new ModelLoadException("model directory " + root + " does not exist or is not a directory");
    }
    ModelDirectory dir = new ModelDirectory(root, null);
    return new ModelDirectory(root, dir.json("config.json"));
  }

  public Path root() {
    return root;
  }

  /** The parsed config.json. */
  public JsonNode config() {
    return config;
  }

  /** config.json's {@code model_type}, or "" if it has none. */
  public String modelType() {
    return config.path("model_type").asText("");
  }

  /**
   * @throws ModelLoadException naming the file if it does not exist
   */
  public Path require(String relative) {
    Path file = root.resolve(relative);
    if (!Files.isRegularFile(file)) {
      throw new ModelLoadException("model directory " + root + " is missing required file " + relative);
    }
    return file;
  }

  public boolean has(String relative) {
    return Files.isRegularFile(root.resolve(relative));
  }

  /**
   * Reads a required JSON file.
   *
   * @throws ModelLoadException naming the file if it is missing or not valid JSON
   */
  public JsonNode json(String relative) {
    Path file = require(relative);
    try {
      return JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new ModelLoadException("cannot parse " + relative + " in " + root + ": " + e.getMessage(), e);
    }
  }

  /**
   * Reads a JSON file and builds something from it, e.g. an image processor from
   * preprocessor_config.json.
   *
   * @throws ModelLoadException naming the file if it is missing or unreadable, or if
   *     {@code parser} rejects it with an IllegalArgumentException
   */
  public <T> T parse(String relative, Function<JsonNode, T> parser) {
    JsonNode json = json(relative);
    try {
      return parser.apply(json);
    } catch (IllegalArgumentException e) {
      throw new ModelLoadException(relative + " in " + root + ": " + e.getMessage(), e);
    }
  }

  /** Reads an optional JSON file; an empty object if it is absent. */
  public JsonNode optionalJson(String relative) {
    return has(relative) ? json(relative) : JSON.createObjectNode();
  }

  /** Total size of the directory's files, in bytes (weights dominate). */
  public long sizeBytes() {
    try (var files = Files.walk(root)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    } catch (IOException e) {
      return 0;
    }
  }
}
