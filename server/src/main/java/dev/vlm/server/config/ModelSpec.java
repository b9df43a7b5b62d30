package dev.vlm.server.config;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * One model the server is configured to serve.
 *
 * @param name the name clients use in requests
 * @param directory the model directory (a Hugging Face ONNX export)
 * @param family the model family to run it with; empty means "from config.json's model_type"
 */
public record ModelSpec(String name, Path directory, Optional<String> family) {
  public ModelSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(directory, "directory");
    Objects.requireNonNull(family, "family");
    if (!name.matches("[A-Za-z0-9][A-Za-z0-9._:/-]*")) {
      throw new IllegalArgumentException(
          "model name '" + name + "' must start with a letter or digit and use only A-Z a-z 0-9 . _ : / -");
    }
  }

  /**
   * Parses the {@code --model NAME=DIR} flag form.
   *
   * @throws IllegalArgumentException if the text has no {@code =} or an empty side
   */
  public static ModelSpec parseFlag(String text) {
    int eq = text.indexOf('=');
    if (eq <= 0 || eq == text.length() - 1) {
      throw new IllegalArgumentException("--model expects NAME=DIR, got '" + text + "'");
    }
    return new ModelSpec(text.substring(0, eq), Path.of(text.substring(eq + 1)), Optional.empty());
  }
}
