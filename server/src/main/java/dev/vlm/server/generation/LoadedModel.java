package dev.vlm.server.generation;

import dev.vlm.server.engine.OnnxVlm;
import dev.vlm.server.model.FamilyModel;
import dev.vlm.server.model.ModelDirectory;
import dev.vlm.server.model.ModelFamily;
import dev.vlm.server.model.ModelLoadException;
import dev.vlm.server.template.ChatTemplate;
import dev.vlm.server.text.Tokenizer;
import java.util.Optional;

/**
 * Everything one model needs to serve: its graphs, tokenizer, chat template, family parts and
 * generation defaults. Immutable after load; the graphs and tokenizer are thread-safe.
 *
 * @param family the family that runs it
 * @param directory where it was loaded from
 * @param engine the ONNX graphs
 * @param familyModel the family's image handling
 * @param tokenizer the model's tokenizer
 * @param template the chat template rendering chat requests: the configured one, else the
 *     model's own; empty for a model without one, which serves raw prompts only
 * @param defaults generation_config.json
 * @param imageTokenId the id of the image placeholder token
 * @param maxContextTokens prompt plus output limit
 */
public record LoadedModel(
    ModelFamily family,
    ModelDirectory directory,
    OnnxVlm engine,
    FamilyModel familyModel,
    Tokenizer tokenizer,
    Optional<ChatTemplate> template,
    GenerationDefaults defaults,
    int imageTokenId,
    int maxContextTokens)
    implements AutoCloseable {

  /** Reads the context limit from config.json ({@code text_config.max_position_embeddings}). */
  static int maxContext(ModelDirectory dir) {
    int limit = dir.config().path("text_config").path("max_position_embeddings").asInt(0);
    if (limit <= 0) {
      limit = dir.config().path("max_position_embeddings").asInt(0);
    }
    if (limit <= 0) {
      throw new ModelLoadException(
          "config.json in " + dir.root() + " has no max_position_embeddings (in text_config or at top level)");
    }
    return limit;
  }

  /** Frees the graphs' and tokenizer's native memory. */
  @Override
  public void close() {
    engine.close();
    tokenizer.close();
  }
}
