package dev.vlm.server.errors;

/** The request was cancelled by its own client (a cancel or a disconnect). */
public final class RequestCancelledException extends VlmException {
  public RequestCancelledException(String message) {
    super(message);
  }
}
