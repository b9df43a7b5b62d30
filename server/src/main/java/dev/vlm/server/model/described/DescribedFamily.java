package dev.vlm.server.model.described;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vlm.server.model.FamilyModel;
import dev.vlm.server.model.ModelDirectory;
import dev.vlm.server.model.ModelFamily;
import dev.vlm.server.model.ModelLoadException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A model family read from a family description rather than written as a class: an image
 * processor kind picked by name with its settings, the image token and its count per frame, the
 * text laid around each image's tokens, optional rewrites of the joined prompt, and whether the
 * image tokens go in front of the text. The built-in descriptions are resources
 * ({@code families/NAME.json}); an operator's come from a file, such as the {@value #FILE_NAME}
 * a model directory may hold. docs/MODELS.md describes the fields. Immutable and thread-safe.
 */
public final class DescribedFamily implements ModelFamily {
  /** The file in a model directory that describes the directory's own family. */
  public static final String FILE_NAME = "vlm_family.json";

  /**
   * How a model's {@code family} setting ends when it names a description file rather than a
   * family; no family's name ends so.
   */
  public static final String FILE_SUFFIX = ".json";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final FamilyDescription description;
  private final String source;

  private DescribedFamily(FamilyDescription description, String source) {
    this.description = description;
    this.source = source;
  }

  /**
   * A family shipped with the server, from the resource {@code families/NAME.json}.
   *
   * @throws IllegalStateException if the resource is missing or invalid (a broken build)
   */
  public static DescribedFamily builtIn(String name) {
    String resource = "families/" + name + ".json";
    try (InputStream in = DescribedFamily.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("built-in family description " + resource + " is not on the class path");
      }
      return new DescribedFamily(FamilyDescription.parse(JSON.readTree(in)), "built-in " + resource);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read built-in family description " + resource, e);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("built-in family description " + resource + ": " + e.getMessage(), e);
    }
  }

  /**
   * An operator's family, from a description file.
   *
   * @throws ModelLoadException naming the file and the bad field if it is unreadable or invalid
   */
  public static DescribedFamily read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new ModelLoadException("family description " + file + " does not exist");
    }
    JsonNode root;
    try {
      root = JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new ModelLoadException("family description " + file + " is not valid JSON: " + e.getMessage(), e);
    }
    try {
      return new DescribedFamily(FamilyDescription.parse(root), file.toString());
    } catch (IllegalArgumentException e) {
      throw new ModelLoadException("family description " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public String name() {
    return description.name();
  }

  @Override
  public Set<String> modelTypes() {
    return description.modelTypes();
  }

  @Override
  public List<String> requiredFiles() {
    return description.requiredFiles();
  }

  /** Where the description came from: a resource or a file. */
  public String source() {
    return source;
  }

  /**
   * @throws ModelLoadException naming the file for a bad {@code preprocessor_config.json}, else
   *     the description and the field whose value the directory does not give
   */
  @Override
  public FamilyModel open(ModelDirectory dir) {
    FrameProcessor processor = dir.parse("preprocessor_config.json",
        config -> ProcessorKinds.create(description.processorKind(), withSettings(config)));
    try {
      String placeholder = description.imageToken().text(dir);
      int tokens = description.imageTokens().resolve(dir, processor.frameSize());
      OptionalInt front = description.imageTokensFirst() ? OptionalInt.of(imageTokenId(dir)) : OptionalInt.empty();
      return new DescribedModel(placeholder, description.maxImages(), processor, tokens, description.layout(),
          description.promptRewrites(), front);
    } catch (IllegalArgumentException e) {
      throw new ModelLoadException(
          "family '" + name() + "' (" + source + ") cannot serve " + dir.root() + ": " + e.getMessage(), e);
    }
  }

  /** The processor's settings: the directory's, with the description's laid over them. */
  private JsonNode withSettings(JsonNode config) {
    if (!config.isObject() || description.processorSettings().isEmpty()) {
      return config; // the processor names a non-object file itself
    }
    ObjectNode merged = ((ObjectNode) config).deepCopy();
    merged.setAll(description.processorSettings());
    return merged;
  }

  /** The image token's id in config.json, which moving the tokens to the front needs. */
  private static int imageTokenId(ModelDirectory dir) {
    for (String field : List.of("image_token_index", "image_token_id")) {
      JsonNode id = dir.config().path(field);
      if (id.canConvertToInt() && id.asInt() >= 0) {
        return id.asInt();
      }
    }
    throw new IllegalArgumentException(
        "field 'image_tokens_first' needs the image token's id in config.json (image_token_index or image_token_id)");
  }

  @Override
  public String toString() {
    return "DescribedFamily[" + name() + " from " + source + "]";
  }
}
