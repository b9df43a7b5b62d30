package dev.vlm.server.engine;

/** ONNX Runtime failed while running a loaded model: a server fault, not the client's. */
public final class EngineException extends RuntimeException {
  public EngineException(String message, Throwable cause) {
    super(message, cause);
  }
}
