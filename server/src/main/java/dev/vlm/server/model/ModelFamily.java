package dev.vlm.server.model;

import java.util.List;
import java.util.Set;

/**
 * A model architecture the server can run (llava, ...). Everything that differs between
 * families lives behind this interface; the engine, tokenizer, chat template and sampling are
 * shared. Implementations are stateless.
 */
public interface ModelFamily {
  /** The family's name, shown in {@code ModelInfo.family}. */
  String name();

  /** The config.json {@code model_type} values this family runs. */
  Set<String> modelTypes();

  /**
   * Files the directory must hold, relative to it: by default the Hugging Face config, image
   * preprocessor config and tokenizer files every family here reads.
   */
  default List<String> requiredFiles() {
    return List.of("config.json", "preprocessor_config.json", "tokenizer.json", "tokenizer_config.json");
  }

  /**
   * Reads the family's configuration from a model directory.
   *
   * @throws ModelLoadException if a file is missing or a setting is invalid
   */
  FamilyModel open(ModelDirectory dir);
}
