package dev.vlm.server.errors;

/** The operation needs the model idle and it has requests in flight (e.g. unloading without draining). */
public final class ModelBusyException extends VlmException {
  public ModelBusyException(String message) {
    super(message);
  }
}
