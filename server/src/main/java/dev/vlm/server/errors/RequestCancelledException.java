package dev.vlm.server.errors;

/** The request was cancelled (by its client, or because the server is shutting down). */
public final class RequestCancelledException extends VlmException {
  public RequestCancelledException(String message) {
    super(message);
  }
}
