package dev.vlm.server.errors;

/** The request's deadline passed before it finished: while it waited for its model, or ran. */
public final class DeadlineExceededException extends VlmException {
  public DeadlineExceededException(String message) {
    super(message);
  }
}
