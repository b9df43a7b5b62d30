package dev.vlm.server.errors;

import java.util.Collection;

/** The request names a model this server does not serve. */
public final class ModelNotFoundException extends VlmException {
  public ModelNotFoundException(String name, Collection<String> served) {
    super("model '" + Echo.bounded(name) + "' is not served here; served models: " + served);
  }
}
