package dev.vlm.server.serving;

import dev.vlm.server.config.ModelSource;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.hub.HubException;
import dev.vlm.server.hub.HubModels;
import dev.vlm.server.hub.PullListener;
import dev.vlm.server.model.ModelLoadException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Turns a configured model into one read from a directory: a directory source as it is, a Hub
 * source from the Hugging Face cache. Offline unless downloads are allowed, in which case a Hub
 * model missing from the cache is pulled. Thread-safe.
 */
public final class ModelLocator {
  private final HubModels hub;
  private final boolean allowDownload;

  /**
   * @param hub where Hub models are cached and pulled from
   * @param allowDownload whether a load may pull a Hub model missing from the cache
   */
  public ModelLocator(HubModels hub, boolean allowDownload) {
    this.hub = hub;
    this.allowDownload = allowDownload;
  }

  /**
   * Without the network.
   *
   * @return the model read from its directory, or empty if it is a Hub model to be pulled at load
   * @throws ModelLoadException if a Hub model is not cached and downloads are off, saying how to pull it
   */
  Optional<ModelSpec> locateCached(ModelSpec spec) {
    if (!(spec.source() instanceof ModelSource.Hub source)) {
      return Optional.of(spec);
    }
    Optional<Path> dir = hub.cached(source, spec.weights());
    if (dir.isEmpty() && !allowDownload) {
      throw new ModelLoadException(hub.notCachedMessage(source, spec.weights()));
    }
    return dir.map(spec::locatedAt);
  }

  /**
   * The model read from its directory, pulling a Hub model first if it is missing and downloads
   * are allowed.
   *
   * @throws ModelLoadException if it is not cached and cannot be pulled (with the cause)
   */
  ModelSpec locate(ModelSpec spec, PullListener progress) {
    Optional<ModelSpec> cached = locateCached(spec);
    if (cached.isPresent()) {
      return cached.get();
    }
    ModelSource.Hub source = (ModelSource.Hub) spec.source();
    try {
      return spec.locatedAt(hub.pull(source, spec.weights(), progress));
    } catch (HubException e) {
      throw new ModelLoadException("cannot pull " + source + ": " + e.getMessage(), e);
    }
  }
}
