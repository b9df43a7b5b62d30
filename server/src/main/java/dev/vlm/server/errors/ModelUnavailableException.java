package dev.vlm.server.errors;

/** The model exists but cannot serve now: it failed to load, or the server is draining. */
public final class ModelUnavailableException extends VlmException {
  public ModelUnavailableException(String message) {
    super(message);
  }

  public ModelUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
