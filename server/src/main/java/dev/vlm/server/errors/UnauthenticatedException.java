package dev.vlm.server.errors;

/** The call carries no valid credentials (a missing, unknown or revoked key). */
public final class UnauthenticatedException extends VlmException {
  public UnauthenticatedException(String message) {
    super(message);
  }
}
