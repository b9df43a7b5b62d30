package dev.vlm.server.serving;

import dev.vlm.server.config.BatchingSettings;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.RequestLimits;
import dev.vlm.server.errors.ModelNotFoundException;
import dev.vlm.server.generation.ModelLoader;
import dev.vlm.server.metrics.ServerMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The configured models by name. Thread-safe; the set of models is fixed at construction. */
public final class ModelRegistry {
  private final Map<String, ServedModel> models = new TreeMap<>();

  /**
   * @param limits queue size and output defaults applied to every model
   * @param batching how each model's batching loop is sized
   * @param metrics where serving and load metrics go
   */
  public ModelRegistry(
      List<ModelSpec> specs, ModelLoader loader, RequestLimits limits, BatchingSettings batching, ServerMetrics metrics) {
    for (ModelSpec spec : specs) {
      models.put(spec.name(), new ServedModel(spec, loader, limits, batching, metrics));
    }
  }

  /** Starts loading every model in the background; each loads on its own thread. */
  public void loadAll() {
    models.values().forEach(ServedModel::startLoading);
  }

  /**
   * @throws ModelNotFoundException listing the served names if none has this name
   */
  public ServedModel get(String name) {
    ServedModel model = models.get(name);
    if (model == null) {
      throw new ModelNotFoundException(name, models.keySet());
    }
    return model;
  }

  /** Snapshots of all models, in name order. */
  public List<ModelStatus> list() {
    List<ModelStatus> result = new ArrayList<>();
    models.values().forEach(m -> result.add(m.status()));
    return result;
  }

  /**
   * Stops taking requests, gives in-flight ones {@code grace} to finish, cancels the rest and
   * frees every model. Models drain in parallel, so the whole call takes about {@code grace}.
   */
  public void drainAndClose(Duration grace) {
    List<Thread> drains = new ArrayList<>();
    for (ServedModel model : models.values()) {
      drains.add(Thread.ofPlatform().name("drain-" + model.name()).start(() -> model.drainAndClose(grace)));
    }
    for (Thread t : drains) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
