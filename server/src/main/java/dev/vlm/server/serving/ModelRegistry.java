package dev.vlm.server.serving;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.vlm.server.config.BatchingSettings;
import dev.vlm.server.config.HubSettings;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.RequestLimits;
import dev.vlm.server.config.ResidencySettings;
import dev.vlm.server.errors.ModelNotFoundException;
import dev.vlm.server.errors.ResourceExhaustedException;
import dev.vlm.server.generation.ModelLoader;
import dev.vlm.server.generation.ModelRunner;
import dev.vlm.server.hub.HubModels;
import dev.vlm.server.metrics.ServerMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * The configured models by name, and which of them are resident within the memory budget.
 *
 * <p>A Caffeine cache holds the resident models in access order (expire-after-access with an
 * expiry that never comes, so Caffeine only keeps the order): every request's start and end
 * touches its model, and {@code oldest()} gives the eviction candidates, least recently used
 * first. Eviction itself is decided here, not by Caffeine's size bound, because the budget's
 * reservations must be hard and a model with requests in flight must never go.
 *
 * <p>Thread-safe; the set of models is fixed at construction. Lock order: the registry's lock,
 * then a model's; a model never calls the registry while holding its own.
 */
public final class ModelRegistry {
  private static final Logger log = Logger.getLogger(ModelRegistry.class.getName());
  private static final Duration NEVER = Duration.ofDays(365L * 100);
  private static final long RECHECK_MILLIS = 50;
  // Beyond the drain grace: closing sessions, and a drain's own wait for its loop to stop.
  private static final Duration SHUTDOWN_SLACK = Duration.ofSeconds(30);

  private final Map<String, ServedModel> models = new TreeMap<>();
  private final MemoryBudget budget;
  private final ResidencySettings residency;
  private final ServerMetrics metrics;
  private final Duration unloadDrainGrace;
  private final Cache<String, ServedModel> resident =
      Caffeine.newBuilder().executor(Runnable::run).expireAfterAccess(NEVER).build();
  // One thread per unload: an unload stuck in native code must not hold up the others.
  private final ExecutorService unloader =
      Executors.newCachedThreadPool(Thread.ofPlatform().name("model-unloader-", 0).daemon().factory());
  private final Object lock = new Object();

  /**
   * @param limits queue size and output defaults applied to every model
   * @param batching how each model's batching loop is sized (a model's own settings win)
   * @param metrics where serving, load and eviction metrics go
   * @param budget the memory limit all resident models share
   * @param residency back-off after failed loads and how long a load waits for room
   * @param unloadDrainGrace how long a draining unload lets requests run
   */
  public ModelRegistry(
      List<ModelSpec> specs, ModelLoader loader, RequestLimits limits, BatchingSettings batching, ServerMetrics metrics,
      MemoryBudget budget, ResidencySettings residency, Duration unloadDrainGrace) {
    this(specs, loader, new ModelLocator(new HubModels(HubSettings.defaults()), false), limits, batching, metrics, budget,
        residency, unloadDrainGrace);
  }

  /**
   * @param locator finds Hub models in the cache (pulling them if allowed)
   * @param limits queue size and output defaults applied to every model
   * @param batching how each model's batching loop is sized (a model's own settings win)
   * @param metrics where serving, load and eviction metrics go
   * @param budget the memory limit all resident models share
   * @param residency back-off after failed loads and how long a load waits for room
   * @param unloadDrainGrace how long a draining unload lets requests run
   */
  public ModelRegistry(
      List<ModelSpec> specs, ModelLoader loader, ModelLocator locator, RequestLimits limits, BatchingSettings batching,
      ServerMetrics metrics, MemoryBudget budget, ResidencySettings residency, Duration unloadDrainGrace) {
    this.budget = budget;
    this.residency = residency;
    this.metrics = metrics;
    this.unloadDrainGrace = unloadDrainGrace;
    for (ModelSpec spec : specs) {
      models.put(spec.name(),
          new ServedModel(spec, loader, locator, limits, batching, metrics, this, residency.loadFailureBackoff()));
    }
  }

  /** Models with no practical memory limit and default residency settings. */
  public ModelRegistry(
      List<ModelSpec> specs, ModelLoader loader, RequestLimits limits, BatchingSettings batching, ServerMetrics metrics) {
    this(specs, loader, limits, batching, metrics, new MemoryBudget(Long.MAX_VALUE), ResidencySettings.defaults(),
        Duration.ofSeconds(30));
  }

  /**
   * Checks every model's directory (a bad one is FAILED at once) and starts loading the pinned
   * ones in the background; the others load on their first request or {@link #load}.
   */
  public void start() {
    models.values().forEach(ServedModel::inspect);
    models.values().stream()
        .filter(ServedModel::pinned)
        .filter(m -> m.state() != ModelState.FAILED)
        .forEach(ServedModel::load);
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

  /**
   * Makes a model resident, evicting idle ones if the budget is short; retries a FAILED one.
   *
   * @return completes with the model's status once loaded, or with why it could not load
   * @throws ModelNotFoundException if no model has this name
   */
  public CompletableFuture<ModelStatus> load(String name) {
    ServedModel model = get(name);
    return model.load().thenApply(ready -> model.status());
  }

  /**
   * Unloads a model: at once if idle; with {@code drain}, once its requests have finished
   * (within the server's shutdown grace). An unloaded model loads again on its next request.
   *
   * @return completes with the model's status once its memory is released
   * @throws ModelNotFoundException if no model has this name
   * @throws dev.vlm.server.errors.ModelBusyException if it has requests and {@code drain} is false
   */
  public CompletableFuture<ModelStatus> unload(String name, boolean drain) {
    ServedModel model = get(name);
    return model.unload(drain, unloadDrainGrace).thenApply(done -> model.status());
  }

  /** The configured models' names, in name order. */
  public Set<String> names() {
    return Collections.unmodifiableSet(models.keySet());
  }

  /** Snapshots of all models, in name order. */
  public List<ModelStatus> list() {
    List<ModelStatus> result = new ArrayList<>();
    models.values().forEach(m -> result.add(m.status()));
    return result;
  }

  /** The budget's limit, in bytes. */
  public long memoryLimitBytes() {
    return budget.limitBytes();
  }

  /** Bytes all models reserve now. */
  public long reservedBytes() {
    return budget.reservedBytes();
  }

  long reservedBy(ServedModel model) {
    return budget.reservedBy(model.name());
  }

  /** Marks the model as recently used (its place in the eviction order). */
  void touch(ServedModel model) {
    resident.getIfPresent(model.name());
  }

  void becameResident(ServedModel model) {
    resident.put(model.name(), model);
  }

  /** A model went idle or released memory: a load waiting for room may proceed. */
  void roomMayHaveFreed() {
    synchronized (lock) {
      lock.notifyAll();
    }
  }

  /**
   * Adds {@code bytes} to the model's reservation, evicting least-recently-used idle models
   * until they fit, and waiting (up to the eviction wait) for busy ones to go idle.
   *
   * @param what what the bytes are for, for messages
   * @throws TooLargeForBudgetException if the model's total exceeds the whole budget
   * @throws ResourceExhaustedException if the bytes do not fit within the eviction wait
   */
  void reserve(ServedModel model, long bytes, String what) {
    long total = budget.reservedBy(model.name()) + bytes;
    if (total > budget.limitBytes()) {
      throw new TooLargeForBudgetException(String.format(
          "model '%s' needs %d bytes (%s) but the whole memory budget is %d bytes; raise --memory-budget",
          model.name(), total, what, budget.limitBytes()));
    }
    long deadline = System.nanoTime() + residency.evictionWait().toNanos();
    // Unloads under way get one more eviction wait to finish; one that takes longer is stuck
    // (in native code, most likely) and must not hold this load without bound.
    long unloadDeadline = deadline + residency.evictionWait().toNanos();
    synchronized (lock) {
      while (!budget.tryReserve(model.name(), bytes)) {
        evictFor(model, bytes);
        long left = deadline - System.nanoTime();
        if (left <= 0 && anyUnloading() && System.nanoTime() - unloadDeadline >= 0) {
          String stuck = unloadingNames();
          log.severe(() -> "model '" + model.name() + "' gave up waiting for room: the unload of " + stuck
              + " has not finished within " + residency.evictionWait().multipliedBy(2).toMillis()
              + " ms and may be stuck; its bytes stay reserved until it ends");
          throw new ResourceExhaustedException(String.format(
              "no room for model '%s' (%s): the memory budget is %d bytes and %d are held, partly by %s, whose"
                  + " unload has not finished; retry later",
              model.name(), what, budget.limitBytes(), budget.reservedBytes(), stuck));
        }
        if (left <= 0 && !anyUnloading()) {
          throw new ResourceExhaustedException(String.format(
              "no room for model '%s' (%s): the memory budget is %d bytes and %d are held by models with"
                  + " requests in flight or pinned: %s; retry later",
              model.name(), what, budget.limitBytes(), budget.reservedBytes(), holders(model)));
        }
        try {
          lock.wait(Math.max(1, Math.min(RECHECK_MILLIS, left / 1_000_000)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new ResourceExhaustedException("interrupted while waiting for room for model '" + model.name() + "'");
        }
      }
    }
  }

  /**
   * Sets the model's reservation to {@code bytes}: gives back the excess, or reserves the
   * shortfall as {@link #reserve} does.
   *
   * @throws TooLargeForBudgetException if {@code bytes} exceeds the whole budget
   * @throws ResourceExhaustedException if the shortfall does not fit within the eviction wait
   */
  void adjust(ServedModel model, long bytes, String what) {
    long held = budget.reservedBy(model.name());
    if (bytes > held) {
      reserve(model, bytes - held, what);
    } else if (bytes < held) {
      budget.releasePart(model.name(), held - bytes);
      roomMayHaveFreed();
    }
  }

  /** Holds lock. Starts unloading idle models, oldest use first, until enough is on its way back. */
  private void evictFor(ServedModel model, long bytes) {
    long coming = budget.limitBytes() - budget.reservedBytes() + unloadingBytes();
    if (coming >= bytes) {
      return;
    }
    // Reads reach Caffeine's access order through a buffer; drain it so the order is current.
    resident.cleanUp();
    Map<String, ServedModel> byAge = resident.policy().expireAfterAccess().orElseThrow().oldest(Integer.MAX_VALUE);
    for (ServedModel victim : byAge.values()) {
      if (victim == model || victim.pinned()) {
        continue;
      }
      ModelRunner taken = victim.beginUnload(true);
      if (taken == null) {
        continue;
      }
      metrics.residency().evicted(victim.name());
      coming += budget.reservedBy(victim.name());
      unloadInBackground(victim, taken, null);
      if (coming >= bytes) {
        return;
      }
    }
  }

  /** Closes a model off the caller's thread; its bytes stay reserved until its sessions are closed. */
  void unloadInBackground(ServedModel model, ModelRunner taken, Duration drainGrace) {
    resident.invalidate(model.name());
    unloader.execute(() -> model.finishUnload(taken, drainGrace));
  }

  private long unloadingBytes() {
    return models.values().stream()
        .filter(m -> m.state() == ModelState.UNLOADING)
        .mapToLong(m -> budget.reservedBy(m.name()))
        .sum();
  }

  private String unloadingNames() {
    return models.values().stream()
        .filter(m -> m.state() == ModelState.UNLOADING)
        .map(m -> "'" + m.name() + "'")
        .collect(Collectors.joining(", "));
  }

  private boolean anyUnloading() {
    return models.values().stream().anyMatch(m -> m.state() == ModelState.UNLOADING);
  }

  private String holders(ServedModel except) {
    return models.values().stream()
        .filter(m -> m != except && budget.reservedBy(m.name()) > 0)
        .map(m -> m.name() + " " + budget.reservedBy(m.name()))
        .collect(Collectors.joining(", ", "[", "]"));
  }

  /** Gives back all of a model's bytes; call only once its sessions are closed. */
  void release(ServedModel model) {
    budget.release(model.name());
    metrics.residency().setResidentBytes(model.name(), 0);
    roomMayHaveFreed();
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
    // A model whose close is stuck in native code must not keep the process from exiting.
    long deadline = System.nanoTime() + grace.plus(SHUTDOWN_SLACK).toNanos();
    for (Thread t : drains) {
      try {
        if (!t.join(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))) {
          log.severe(() -> t.getName() + " has not finished " + grace.plus(SHUTDOWN_SLACK).toMillis()
              + " ms after shutdown began; leaving it behind");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    unloader.shutdown();
  }
}
