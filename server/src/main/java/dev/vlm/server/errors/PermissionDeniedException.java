package dev.vlm.server.errors;

/** The caller is known but its role may not do this (e.g. a user key unloading a model). */
public final class PermissionDeniedException extends VlmException {
  public PermissionDeniedException(String message) {
    super(message);
  }
}
