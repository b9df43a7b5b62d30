package dev.vlm.server.serving;

import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.RequestLimits;
import dev.vlm.server.engine.EngineException;
import dev.vlm.server.errors.ModelUnavailableException;
import dev.vlm.server.errors.ResourceExhaustedException;
import dev.vlm.server.generation.GenerationRequest;
import dev.vlm.server.generation.GenerationSink;
import dev.vlm.server.generation.Generator;
import dev.vlm.server.generation.LoadedModel;
import dev.vlm.server.generation.ModelLoader;
import dev.vlm.server.model.ModelFamily;
import dev.vlm.server.model.ModelLoadException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One configured model: its load, its state, and the single thread that runs its requests one
 * at a time in arrival order. Thread-safe: any thread may submit; only the model's own thread
 * touches the loaded graphs.
 */
public final class ServedModel {
  private static final Logger log = Logger.getLogger(ServedModel.class.getName());

  private final ModelSpec spec;
  private final ModelLoader loader;
  private final int maxQueued;
  private final int defaultMaxNewTokens;
  private final ExecutorService worker;
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicLong generatedTokens = new AtomicLong();
  private final CompletableFuture<LoadedModel> loaded = new CompletableFuture<>();
  private volatile ModelState state = ModelState.AVAILABLE;
  private volatile String family = "";
  private volatile String error = "";
  private volatile long lastLoadMillis;
  private volatile boolean draining;
  private volatile boolean abortAll;

  ServedModel(ModelSpec spec, ModelLoader loader, RequestLimits limits) {
    this.spec = spec;
    this.loader = loader;
    this.maxQueued = limits.maxQueuedRequestsPerModel();
    this.defaultMaxNewTokens = limits.defaultMaxNewTokens();
    this.worker =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "model-" + spec.name());
              t.setDaemon(true);
              return t;
            });
  }

  /** The model's name. */
  public String name() {
    return spec.name();
  }

  /** Loads the model on its own thread; failures leave it FAILED with the reason. */
  void startLoading() {
    try {
      ModelFamily f = loader.inspect(spec);
      family = f.name();
    } catch (ModelLoadException e) {
      fail(e, 0);
      return;
    }
    state = ModelState.LOADING;
    worker.execute(
        () -> {
          long start = System.nanoTime();
          try {
            LoadedModel model = loader.load(spec);
            lastLoadMillis = (System.nanoTime() - start) / 1_000_000;
            state = ModelState.LOADED;
            log.info(() -> String.format(
                "loaded model '%s' (family %s) from %s in %d ms",
                spec.name(), family, spec.directory(), lastLoadMillis));
            loaded.complete(model);
          } catch (RuntimeException e) {
            fail(e, (System.nanoTime() - start) / 1_000_000);
          }
        });
  }

  private void fail(RuntimeException e, long millis) {
    lastLoadMillis = millis;
    error = e.getMessage();
    state = ModelState.FAILED;
    log.log(Level.WARNING, "model '" + spec.name() + "' from " + spec.directory() + " failed to load: " + error);
    loaded.completeExceptionally(e);
  }

  /**
   * Queues a request. Its output, or its error, reaches {@code sink} from the model's thread.
   *
   * @param cancelled polled between steps; true stops the request with CANCELLED
   * @throws ModelUnavailableException if the model failed to load or the server is draining
   * @throws ResourceExhaustedException if the model's queue is full
   */
  public void submit(GenerationRequest request, GenerationSink sink, BooleanSupplier cancelled) {
    if (draining) {
      throw new ModelUnavailableException("server is shutting down; model '" + name() + "' takes no new requests");
    }
    if (state == ModelState.FAILED) {
      throw new ModelUnavailableException("model '" + name() + "' failed to load: " + error);
    }
    if (queued.incrementAndGet() > maxQueued) {
      queued.decrementAndGet();
      throw new ResourceExhaustedException(
          "model '" + name() + "' has " + maxQueued + " requests queued, its limit; retry later");
    }
    worker.execute(
        () -> {
          try {
            LoadedModel model = loadedModel();
            if (model == null) {
              sink.onError(new ModelUnavailableException("model '" + name() + "' failed to load: " + error));
              return;
            }
            new Generator(model, defaultMaxNewTokens)
                .run(request, new CountingSink(sink, generatedTokens), () -> abortAll || cancelled.getAsBoolean());
          } catch (Throwable t) {
            // A failure that escaped the generator (a linkage error, say) still ends the call:
            // a client must never wait forever for a request the model thread dropped.
            sink.onError(new EngineException("generation failed: " + t, t));
            if (t instanceof VirtualMachineError fatal) {
              throw fatal;
            }
          } finally {
            queued.decrementAndGet();
          }
        });
  }

  /** The loaded model, or null while loading or after a failed load. */
  private LoadedModel loadedModel() {
    return loaded.isDone() && !loaded.isCompletedExceptionally() ? loaded.join() : null;
  }

  /** A snapshot for listing. */
  public ModelStatus status() {
    LoadedModel model = loadedModel();
    long reserved = model == null ? 0 : model.directory().sizeBytes();
    int context = model == null ? 0 : model.maxContextTokens();
    return new ModelStatus(
        name(), family, state, error, reserved, spec.directory(), context, lastLoadMillis,
        queued.get(), generatedTokens.get());
  }

  /**
   * Stops taking requests, lets accepted ones finish until {@code deadlineNanos}
   * ({@link System#nanoTime()} based), cancels the rest, and frees the model.
   */
  void drainAndClose(long deadlineNanos) {
    draining = true;
    worker.shutdown();
    try {
      long left = deadlineNanos - System.nanoTime();
      if (!worker.awaitTermination(Math.max(0, left), TimeUnit.NANOSECONDS)) {
        abortAll = true;
        worker.awaitTermination(Duration.ofSeconds(10).toNanos(), TimeUnit.NANOSECONDS);
      }
    } catch (InterruptedException e) {
      abortAll = true;
      Thread.currentThread().interrupt();
    }
    state = ModelState.UNLOADING;
    LoadedModel model = loadedModel();
    if (model != null) {
      model.close();
    }
    state = ModelState.AVAILABLE;
  }
}
