package dev.vlm.server.errors;

/** A queue, size or memory limit is reached; the client may retry later or ask for less. */
public final class ResourceExhaustedException extends VlmException {
  public ResourceExhaustedException(String message) {
    super(message);
  }
}
