package dev.vlm.server.serving;

import dev.vlm.server.config.BatchingSettings;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.RequestLimits;
import dev.vlm.server.errors.ModelUnavailableException;
import dev.vlm.server.errors.ResourceExhaustedException;
import dev.vlm.server.generation.FinishReason;
import dev.vlm.server.generation.GenerationRequest;
import dev.vlm.server.generation.GenerationSink;
import dev.vlm.server.generation.ModelLoader;
import dev.vlm.server.generation.ModelRunner;
import dev.vlm.server.generation.Usage;
import dev.vlm.server.metrics.ServerMetrics;
import dev.vlm.server.model.ModelFamily;
import dev.vlm.server.model.ModelLoadException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One configured model: its load, its state, and its continuous-batching loop once loaded.
 * Thread-safe: any thread may submit.
 */
public final class ServedModel {
  private static final Logger log = Logger.getLogger(ServedModel.class.getName());

  private final ModelSpec spec;
  private final ModelLoader loader;
  private final BatchingSettings batching;
  private final int maxQueued;
  private final int defaultMaxNewTokens;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicLong generatedTokens = new AtomicLong();
  private final CompletableFuture<ModelRunner> runner = new CompletableFuture<>();
  private volatile ModelState state = ModelState.AVAILABLE;
  private volatile String family = "";
  private volatile String error = "";
  private volatile long lastLoadMillis;
  private volatile boolean draining;
  private final ServerMetrics metrics;

  ServedModel(ModelSpec spec, ModelLoader loader, RequestLimits limits, BatchingSettings batching, ServerMetrics metrics) {
    this.spec = spec;
    this.metrics = metrics;
    this.loader = loader;
    this.batching = batching;
    this.maxQueued = limits.maxQueuedRequestsPerModel();
    this.defaultMaxNewTokens = limits.defaultMaxNewTokens();
  }

  /** The model's name. */
  public String name() {
    return spec.name();
  }

  /** Loads the model on a thread of its own; failures leave it FAILED with the reason. */
  void startLoading() {
    try {
      ModelFamily f = loader.inspect(spec);
      family = f.name();
    } catch (ModelLoadException e) {
      fail(e, 0);
      return;
    }
    state = ModelState.LOADING;
    Thread.ofPlatform().name("load-" + spec.name()).daemon().start(() -> {
      long start = System.nanoTime();
      try {
        ModelRunner loaded = new ModelRunner(
            spec.name(), loader.load(spec), batching, defaultMaxNewTokens, metrics.forModel(spec.name()));
        lastLoadMillis = (System.nanoTime() - start) / 1_000_000;
        metrics.residency().loaded(spec.name(), Duration.ofMillis(lastLoadMillis));
        metrics.residency().setResidentBytes(spec.name(), loaded.model().directory().sizeBytes());
        state = ModelState.LOADED;
        log.info(() -> String.format(
            "loaded model '%s' (family %s) from %s in %d ms", spec.name(), family, spec.directory(), lastLoadMillis));
        runner.complete(loaded);
      } catch (RuntimeException e) {
        fail(e, (System.nanoTime() - start) / 1_000_000);
      }
    });
  }

  private void fail(RuntimeException e, long millis) {
    lastLoadMillis = millis;
    error = e.getMessage();
    state = ModelState.FAILED;
    metrics.residency().loadFailed(spec.name());
    log.log(Level.WARNING, "model '" + spec.name() + "' from " + spec.directory() + " failed to load: " + error);
    runner.completeExceptionally(e);
  }

  /**
   * Queues a request. Once accepted, its output or its error reaches {@code sink} from the
   * model's loop thread. While the model loads, the request waits for it.
   *
   * @param cancelled polled every step; true stops the request with CANCELLED
   * @throws ModelUnavailableException if the model failed to load or the server is draining
   * @throws ResourceExhaustedException if the model's queue is full
   * @throws dev.vlm.server.errors.InvalidArgumentException if the request does not fit the model
   */
  public void submit(GenerationRequest request, GenerationSink sink, BooleanSupplier cancelled) {
    if (draining) {
      throw new ModelUnavailableException("server is shutting down; model '" + name() + "' takes no new requests");
    }
    if (state == ModelState.FAILED) {
      throw new ModelUnavailableException("model '" + name() + "' failed to load: " + error);
    }
    if (inFlight.incrementAndGet() > maxQueued) {
      inFlight.decrementAndGet();
      throw new ResourceExhaustedException(
          "model '" + name() + "' has " + maxQueued + " requests in flight, its limit; retry later");
    }
    GenerationSink counting = new CountingSink(sink, generatedTokens);
    if (runner.isDone()) {
      start(request, counting, cancelled);
    } else {
      runner.whenComplete((ready, failure) -> {
        try {
          start(request, counting, cancelled);
        } catch (RuntimeException e) {
          sink.onError(e);
        }
      });
    }
  }

  private void start(GenerationRequest request, GenerationSink sink, BooleanSupplier cancelled) {
    boolean handedOver = false;
    try {
      ModelRunner ready = loadedRunner();
      if (ready == null) {
        throw new ModelUnavailableException("model '" + name() + "' failed to load: " + error);
      }
      if (cancelled.getAsBoolean()) {
        sink.onFinish(FinishReason.CANCELLED, new Usage(0, 0, 0));
        return;
      }
      ready.submit(request, sink, cancelled, inFlight::decrementAndGet);
      handedOver = true;
    } finally {
      if (!handedOver) {
        inFlight.decrementAndGet();
      }
    }
  }

  /** The running model, or null while loading or after a failed load. */
  private ModelRunner loadedRunner() {
    return runner.isDone() && !runner.isCompletedExceptionally() ? runner.join() : null;
  }

  /** A snapshot for listing. */
  public ModelStatus status() {
    ModelRunner ready = loadedRunner();
    long reserved = ready == null ? 0 : ready.model().directory().sizeBytes();
    int context = ready == null ? 0 : ready.model().maxContextTokens();
    return new ModelStatus(
        name(), family, state, error, reserved, spec.directory(), context, lastLoadMillis,
        inFlight.get(), generatedTokens.get(), ready == null ? 0 : ready.stats().steps(),
        ready == null ? 0 : ready.stats().preemptions());
  }

  /**
   * Stops taking requests, lets accepted ones finish until {@code grace} has passed, ends the
   * rest with CANCELLED, and frees the model.
   */
  void drainAndClose(Duration grace) {
    draining = true;
    ModelRunner ready = loadedRunner();
    if (ready == null) {
      return;
    }
    ready.drain(grace);
    state = ModelState.UNLOADING;
    ready.close();
    metrics.residency().setResidentBytes(spec.name(), 0);
    state = ModelState.AVAILABLE;
  }
}
