package dev.vlm.server.model;

/**
 * A model directory cannot be served: a file is missing or malformed, the family is not
 * supported, or ONNX Runtime refused a graph. The message says which, and is shown to clients
 * as the model's {@code error}.
 */
public final class ModelLoadException extends RuntimeException {
  public ModelLoadException(String message) {
    super(message);
  }

  public ModelLoadException(String message, Throwable cause) {
    super(message, cause);
  }
}
