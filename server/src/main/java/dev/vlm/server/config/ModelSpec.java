package dev.vlm.server.config;

import dev.vlm.server.model.WeightTypes;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * One model the server is configured to serve.
 *
 * @param name the name clients use in requests
 * @param source where the export is: a directory, or a Hub repository found in (or pulled into)
 *     the Hugging Face cache
 * @param family the model family to run it with: a family's name, or the path of a family
 *     description file (ending in {@code .json}); empty means "from config.json's
 *     model_type"
 * @param maxContextTokens prompt plus output limit; 0 means the model's own
 *     ({@code max_position_embeddings}); a larger value is capped at the model's own
 * @param maxRunningSequences sequences it decodes together; 0 means the server's batching setting
 * @param kvBudgetBytes bytes for its KV cache; 0 sizes the cache for every running sequence at
 *     full context (or as the server's {@code kv_blocks} says)
 * @param device where it runs; empty means the server's device
 * @param pinned loaded at start-up and never evicted to make room for another model
 * @param weights which weight type (file variant) each graph is opened in; float32 by default
 * @param chatTemplate a Jinja chat template file used instead of the model's own (for a model
 *     whose repository ships none, or to replace it); empty means the model's own, if any
 */
public record ModelSpec(
    String name,
    ModelSource source,
    Optional<String> family,
    int maxContextTokens,
    int maxRunningSequences,
    long kvBudgetBytes,
    Optional<Device> device,
    boolean pinned,
    WeightTypes weights,
    Optional<Path> chatTemplate) {
  public ModelSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(weights, "weights");
    Objects.requireNonNull(chatTemplate, "chatTemplate");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(family, "family");
    Objects.requireNonNull(device, "device");
    if (!name.matches("[A-Za-z0-9][A-Za-z0-9._:/-]*")) {
      throw new IllegalArgumentException(
          "model name '" + name + "' must start with a letter or digit and use only A-Z a-z 0-9 . _ : / -");
    }
    if (maxContextTokens < 0 || maxRunningSequences < 0 || kvBudgetBytes < 0) {
      throw new IllegalArgumentException(
          "model '" + name + "': max context, max running sequences and KV budget must be >= 0 (0 = automatic)");
    }
  }

  /** A float32 model in a directory. */
  public ModelSpec(
      String name, Path directory, Optional<String> family, int maxContextTokens, int maxRunningSequences,
      long kvBudgetBytes, Optional<Device> device, boolean pinned) {
    this(name, new ModelSource.Directory(directory), family, maxContextTokens, maxRunningSequences, kvBudgetBytes,
        device, pinned, WeightTypes.fp32(), Optional.empty());
  }

  /** A float32 model directory with every per-model setting automatic, loaded on demand. */
  public ModelSpec(String name, Path directory, Optional<String> family) {
    this(name, new ModelSource.Directory(directory), family);
  }

  /** A model with every per-model setting automatic, loaded on demand. */
  public ModelSpec(String name, ModelSource source, Optional<String> family) {
    this(name, source, family, 0, 0, 0, Optional.empty(), false, WeightTypes.fp32(), Optional.empty());
  }

  /**
   * The model's directory.
   *
   * @throws IllegalStateException if the model comes from the Hub and has not been located in
   *     the cache yet ({@link #locatedAt})
   */
  public Path directory() {
    return switch (source) {
      case ModelSource.Directory d -> d.path();
      case ModelSource.Hub h -> throw new IllegalStateException(
          "model '" + name + "' comes from " + h + "; locate it in the Hub cache first");
    };
  }

  /** The same model, read from this directory (where its Hub source was found in the cache). */
  public ModelSpec locatedAt(Path directory) {
    return new ModelSpec(name, new ModelSource.Directory(directory), family, maxContextTokens, maxRunningSequences,
        kvBudgetBytes, device, pinned, weights, chatTemplate);
  }

  /** The same model, pinned (loaded at start-up, never evicted) or not. */
  public ModelSpec withPinned(boolean newPinned) {
    return new ModelSpec(
        name, source, family, maxContextTokens, maxRunningSequences, kvBudgetBytes, device, newPinned, weights,
        chatTemplate);
  }

  /** The same model opened in other weight types. */
  public ModelSpec withWeights(WeightTypes newWeights) {
    return new ModelSpec(
        name, source, family, maxContextTokens, maxRunningSequences, kvBudgetBytes, device, pinned, newWeights,
        chatTemplate);
  }

  /** The same model rendering chats with this template file instead of its own. */
  public ModelSpec withChatTemplate(Path templateFile) {
    return new ModelSpec(
        name, source, family, maxContextTokens, maxRunningSequences, kvBudgetBytes, device, pinned, weights,
        Optional.of(templateFile));
  }

  /**
   * Parses the {@code --model NAME=DIR} or {@code --model NAME=hf:ORG/REPO[@REVISION][/SUBFOLDER]}
   * flag form.
   *
   * @throws IllegalArgumentException if the text has no {@code =}, an empty side or a malformed
   *     Hub source
   */
  public static ModelSpec parseFlag(String text) {
    int eq = text.indexOf('=');
    if (eq <= 0 || eq == text.length() - 1) {
      throw new IllegalArgumentException("--model expects NAME=DIR or NAME=hf:ORG/REPO, got '" + text + "'");
    }
    return new ModelSpec(text.substring(0, eq), ModelSource.parse(text.substring(eq + 1), null), Optional.empty());
  }
}
