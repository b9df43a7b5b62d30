package dev.vlm.server.hub;

import dev.vlm.server.config.HubSettings;
import dev.vlm.server.config.ModelSource;
import dev.vlm.server.model.ModelGraph;
import dev.vlm.server.model.WeightTypes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * Finds Hub models in the cache without the network, and pulls them when asked. Thread-safe.
 */
public final class HubModels {
  private final HubSettings settings;
  private final HubCache cache;
  private ModelPuller puller; // guarded by this; made on the first pull (it owns an HTTP client)

  public HubModels(HubSettings settings) {
    this.settings = settings;
    this.cache = new HubCache(settings.cacheDir());
  }

  /**
   * The model's directory if the cache holds its revision with config.json and the chosen
   * graphs. Never touches the network.
   */
  public Optional<Path> cached(ModelSource.Hub source, WeightTypes weights) {
    return cache.commitOf(source.repoId(), source.revision())
        .map(commit -> cache.snapshot(source.repoId(), commit))
        .map(snapshot -> source.subfolder().isEmpty() ? snapshot : snapshot.resolve(source.subfolder()))
        .filter(dir -> Files.isRegularFile(dir.resolve("config.json")))
        .filter(dir -> Arrays.stream(ModelGraph.values())
            .allMatch(graph -> Files.isRegularFile(dir.resolve(weights.fileOf(graph)))));
  }

  /** Pulls the model (files already cached are not fetched again); see {@link ModelPuller#pull}. */
  public Path pull(ModelSource.Hub source, WeightTypes weights, PullListener listener) {
    ModelPuller p;
    synchronized (this) {
      if (puller == null) {
        puller = new ModelPuller(settings);
      }
      p = puller;
    }
    return p.pull(source, weights, listener);
  }

  /** Why a model is not available offline, and the command that fixes it. */
  public String notCachedMessage(ModelSource.Hub source, WeightTypes weights) {
    String revision = source.revision().equals(ModelSource.Hub.DEFAULT_REVISION) ? "" : " --revision " + source.revision();
    String repo = source.repoId() + (source.subfolder().isEmpty() ? "" : "/" + source.subfolder());
    return source + " (dtype " + weights + ") is not in the Hugging Face cache at " + cache.root()
        + "; pull it first: vlm-server pull " + repo + revision + " --dtype " + weights
        + " (or set residency.allow_download: true)";
  }
}
