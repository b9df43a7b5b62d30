package dev.vlm.server.serving;

import dev.vlm.server.config.BatchingSettings;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.RequestLimits;
import dev.vlm.server.engine.OnnxVlm;
import dev.vlm.server.errors.DeadlineExceededException;
import dev.vlm.server.errors.ModelBusyException;
import dev.vlm.server.errors.ModelUnavailableException;
import dev.vlm.server.errors.RequestCancelledException;
import dev.vlm.server.errors.ResourceExhaustedException;
import dev.vlm.server.errors.VlmException;
import dev.vlm.server.generation.GenerationRequest;
import dev.vlm.server.generation.GenerationSink;
import dev.vlm.server.generation.LoadedModel;
import dev.vlm.server.generation.ModelLoader;
import dev.vlm.server.generation.ModelRunner;
import dev.vlm.server.generation.Usage;
import dev.vlm.server.hub.PullProgress;
import dev.vlm.server.metrics.ServerMetrics;
import dev.vlm.server.model.ModelLoadException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One configured model: its state (AVAILABLE, LOADING, LOADED, UNLOADING, FAILED), its load and
 * unload, and its continuous-batching loop while resident. Requests for a model that is not
 * resident start its load (one load however many requests wait for it). Thread-safe: the
 * model's own monitor guards its state; the registry's lock is never taken while holding it.
 */
public final class ServedModel {
  private static final Logger log = Logger.getLogger(ServedModel.class.getName());

  private final ModelSpec spec;
  private final ModelLoader loader;
  private final ModelLocator locator;
  private final BatchingSettings batching;
  private final int maxQueued;
  private final int defaultMaxNewTokens;
  private final ServerMetrics metrics;
  private final ModelRegistry registry;
  private final Duration failureBackoff;
  private final AtomicLong generatedTokens = new AtomicLong();

  // Guarded by this.
  private ModelState state = ModelState.AVAILABLE;
  private ModelRunner runner;
  private CompletableFuture<ModelRunner> loading;
  private CompletableFuture<Void> unloaded;
  private int inFlight;
  // Requests handed a resident runner that are still being prepared (template, images,
  // tokens) on their own thread: a draining unload waits for them to reach the loop.
  private int preparing;
  private long failedAtNanos;
  // Set when a loaded model's loop died: the next request or LoadModel reloads at once, since the
  // cause was a moment's failure, not the model directory.
  private boolean reloadAtOnce;
  // Why the model is unloading, when a failure made it unload: it ends FAILED with this reason.
  private String failAfterUnload;
  private boolean draining;

  private volatile String family = "";
  private volatile String error = "";
  private volatile long lastLoadMillis;
  private volatile long lastUsedEpochMillis;
  private volatile PullProgress pulling;

  ServedModel(
      ModelSpec spec, ModelLoader loader, ModelLocator locator, RequestLimits limits, BatchingSettings batching,
      ServerMetrics metrics, ModelRegistry registry, Duration failureBackoff) {
    this.spec = spec;
    this.loader = loader;
    this.locator = locator;
    this.batching = batching;
    this.maxQueued = limits.maxQueuedRequestsPerModel();
    this.defaultMaxNewTokens = limits.defaultMaxNewTokens();
    this.metrics = metrics;
    this.registry = registry;
    this.failureBackoff = failureBackoff;
  }

  /** The model's name. */
  public String name() {
    return spec.name();
  }

  boolean pinned() {
    return spec.pinned();
  }

  /**
   * Checks the directory without loading (so a bad one lists FAILED at once). A Hub model missing
   * from the cache is FAILED, saying how to pull it, unless downloads are allowed: then its load
   * pulls it.
   */
  void inspect() {
    try {
      family = locator.locateCached(spec).map(local -> loader.inspect(local).name()).orElse("");
    } catch (ModelLoadException e) {
      synchronized (this) {
        fail(e.getMessage());
      }
    }
  }

  /**
   * Makes the model resident (an explicit load: a FAILED model is retried at once).
   *
   * @return completes with the running model, or with the load's failure
   */
  CompletableFuture<ModelRunner> load() {
    synchronized (this) {
      if (draining) {
        return CompletableFuture.failedFuture(shuttingDown());
      }
      if (state == ModelState.FAILED) {
        state = ModelState.AVAILABLE;
      }
      return residentLocked();
    }
  }

  /**
   * Queues a request. Once accepted, its output or its error reaches {@code sink}. If the model
   * is not resident the request waits for its load, until its deadline at most.
   *
   * @param cancelled polled every step; true stops the request with CANCELLED
   * @throws ModelUnavailableException if the model failed to load (within its back-off) or the
   *     server is draining
   * @throws ResourceExhaustedException if the model's queue is full
   * @throws dev.vlm.server.errors.InvalidArgumentException if the request does not fit the model
   */
  public void submit(GenerationRequest request, GenerationSink sink, BooleanSupplier cancelled) {
    ModelRunner ready;
    CompletableFuture<ModelRunner> pending = null;
    synchronized (this) {
      if (draining) {
        throw shuttingDown();
      }
      if (state == ModelState.FAILED) {
        if (!reloadAtOnce && System.nanoTime() - failedAtNanos < failureBackoff.toNanos()) {
          throw new ModelUnavailableException("model '" + name() + "' failed to load: " + error);
        }
        state = ModelState.AVAILABLE; // back-off over, or a failed loop: this request retries the load
      }
      if (inFlight >= maxQueued) {
        throw new ResourceExhaustedException(
            "model '" + name() + "' has " + maxQueued + " requests in flight, its limit; retry later");
      }
      inFlight++;
      lastUsedEpochMillis = System.currentTimeMillis();
      ready = state == ModelState.LOADED ? runner : null;
      if (ready == null) {
        pending = residentLocked();
      } else {
        preparing++;
      }
    }
    registry.touch(this);
    GenerationSink counting = new CountingSink(sink, generatedTokens);
    if (ready != null) {
      start(ready, request, counting, cancelled);
      return;
    }
    CompletableFuture<ModelRunner> waiting = pending;
    if (request.deadlineNanos().isPresent()) {
      long left = request.deadlineNanos().getAsLong() - System.nanoTime();
      waiting = pending.copy().orTimeout(Math.max(0, left), TimeUnit.NANOSECONDS);
    }
    waiting.whenComplete((loaded, failure) -> {
      if (failure != null) {
        requestDone();
        Throwable cause = unwrap(failure);
        if (cause instanceof TimeoutException) {
          sink.onError(new DeadlineExceededException(
              "the request's deadline passed while model '" + name() + "' was loading"));
        } else {
          sink.onError(asServingError(cause));
        }
        return;
      }
      synchronized (this) {
        preparing++;
      }
      try {
        start(loaded, request, counting, cancelled); // counts the request done itself
      } catch (RuntimeException e) {
        sink.onError(e);
      }
    });
  }

  /**
   * Runs on a resident model, the request counted as preparing; exactly one {@link #requestDone}
   * follows, however it ends.
   */
  private void start(ModelRunner ready, GenerationRequest request, GenerationSink sink, BooleanSupplier cancelled) {
    boolean handedOver = false;
    try {
      if (cancelled.getAsBoolean()) {
        sink.onError(new RequestCancelledException("request cancelled by its client before it started"));
        return;
      }
      ready.submit(request, sink, cancelled, this::requestDone);
      handedOver = true;
    } finally {
      preparedOrRefused();
      if (!handedOver) {
        requestDone();
      }
    }
  }

  private synchronized void preparedOrRefused() {
    preparing--;
    if (preparing == 0) {
      notifyAll();
    }
  }

  /**
   * Waits, up to {@code grace}, until no request is still being prepared for the loop: a
   * draining unload must not shut the loop on a request it accepted.
   */
  private synchronized void awaitPrepared(Duration grace) {
    long deadline = System.nanoTime() + grace.toNanos();
    while (preparing > 0) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        log.warning(() -> "model '" + name() + "': " + preparing + " request(s) still being prepared after the "
            + "drain's grace; they will be refused");
        return;
      }
      try {
        TimeUnit.NANOSECONDS.timedWait(this, left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private void requestDone() {
    boolean idle;
    synchronized (this) {
      inFlight--;
      idle = inFlight == 0;
      lastUsedEpochMillis = System.currentTimeMillis();
    }
    registry.touch(this);
    if (idle) {
      registry.roomMayHaveFreed();
    }
  }

  /** The resident model now or once loaded; starts a load if none is under way. Holds this. */
  private CompletableFuture<ModelRunner> residentLocked() {
    return switch (state) {
      case LOADED -> CompletableFuture.completedFuture(runner);
      case LOADING -> loading;
      case UNLOADING -> unloaded.thenCompose(done -> {
        synchronized (this) {
          return draining ? CompletableFuture.failedFuture(shuttingDown()) : residentLocked();
        }
      });
      case AVAILABLE -> startLoadLocked();
      case FAILED -> {
        if (reloadAtOnce) {
          yield startLoadLocked();
        }
        yield CompletableFuture.failedFuture(
            new ModelUnavailableException("model '" + name() + "' failed to load: " + error));
      }
    };
  }

  private CompletableFuture<ModelRunner> startLoadLocked() {
    state = ModelState.LOADING;
    reloadAtOnce = false;
    error = "";
    CompletableFuture<ModelRunner> future = new CompletableFuture<>();
    loading = future;
    Thread.ofPlatform().name("load-" + name()).daemon().start(() -> runLoad(future));
    return future;
  }

  /** The load itself, on its own thread: reserve, open, reserve the KV cache, start the loop. */
  private void runLoad(CompletableFuture<ModelRunner> future) {
    long start = System.nanoTime();
    LoadedModel loaded = null;
    ModelRunner started = null;
    try {
      // A Hub model is read from its cache snapshot; pulled first if missing and allowed.
      pulling = new PullProgress();
      ModelSpec spec = locator.locate(this.spec, pulling);
      pulling = null;
      // Reserve the whole estimate before opening a session, so a load never holds memory the
      // budget has not granted; the graph's own layout trues it up below.
      long weights = ResidentSize.weightBytes(spec.directory(), spec.weights(), loader.deviceFor(spec));
      long estimate = weights + ResidentSize.estimatedKvAndActivationBytes(spec, batching);
      registry.reserve(this, estimate, "weights " + weights + " + estimated KV cache and activations = " + estimate + " bytes");
      loaded = loader.load(spec);
      family = loaded.family().name();
      BatchingSettings sized = sizedBatching(loaded.engine());
      OnnxVlm engine = loaded.engine();
      long kv = kvBytes(engine, sized, loaded.maxContextTokens());
      long activations = engine.activationBytes(sized.maxBatchedTokens(), sized.maxRunningSequences());
      registry.adjust(this, weights + kv + activations, String.format(
          "weights %d + KV cache %d + activations %d = %d bytes", weights, kv, activations, weights + kv + activations));
      started = new ModelRunner(name(), loaded, sized, defaultMaxNewTokens, metrics.forModel(name()), this::loopDied,
          loader.faultsFor(spec));
      long millis = (System.nanoTime() - start) / 1_000_000;
      lastLoadMillis = millis;
      metrics.residency().loaded(name(), Duration.ofNanos(System.nanoTime() - start));
      metrics.residency().setResidentBytes(name(), registry.reservedBy(this));
      synchronized (this) {
        runner = started;
        state = ModelState.LOADED;
        reloadAtOnce = false;
      }
      registry.becameResident(this);
      // A loop that died before the runner was published could not unload it; do it now.
      ModelRunner published = started;
      started.loopFailure().ifPresent(cause -> loopDied(published, cause));
      log.info(() -> String.format("loaded model '%s' (family %s) from %s in %d ms, reserving %d bytes",
          name(), family, spec.directory(), millis, registry.reservedBy(this)));
      future.complete(started);
    } catch (Throwable e) {
      pulling = null;
      // Errors too (an OutOfMemoryError allocating the KV cache, an UnsatisfiedLinkError): the
      // load must end, its sessions closed and its reservation returned, or the model stays
      // LOADING forever and its waiting requests hang.
      closeQuietly(started, loaded);
      registry.release(this);
      lastLoadMillis = (System.nanoTime() - start) / 1_000_000;
      // Too large for the whole budget is a property of the model (FAILED); a budget full of
      // busy models is a moment's state (AVAILABLE, the next request tries again).
      boolean noRoomNow = e instanceof ResourceExhaustedException;
      synchronized (this) {
        if (noRoomNow) {
          state = ModelState.AVAILABLE; // nothing wrong with the model; a later request tries again
        } else {
          fail(describe(e));
        }
      }
      if (!noRoomNow) {
        metrics.residency().loadFailed(name());
        log.log(Level.WARNING, "model '" + name() + "' from " + spec.source() + " failed to load: " + describe(e),
            e instanceof Error ? e : null);
      }
      future.completeExceptionally(asServingError(e));
    }
  }

  /** Frees what a failed load got as far as opening. */
  private void closeQuietly(ModelRunner started, LoadedModel loaded) {
    try {
      if (started != null) {
        started.close(); // closes the loaded model too
      } else if (loaded != null) {
        loaded.close();
      }
    } catch (Throwable t) {
      log.log(Level.SEVERE, "model '" + name() + "': closing a failed load failed", t);
    }
  }

  /**
   * The model's loop died (its requests have ended with UNAVAILABLE naming the cause): unload
   * the runner, returning its memory, and mark the model FAILED with the cause; the next request
   * or LoadModel loads it again. Runs on the dying loop's thread.
   */
  private void loopDied(ModelRunner dead, Throwable cause) {
    ModelRunner taken;
    synchronized (this) {
      if (runner != dead || state != ModelState.LOADED) {
        return;
      }
      taken = beginUnload(false);
      failAfterUnload = "its engine loop failed: " + describe(cause);
    }
    log.log(Level.SEVERE, "model '" + name() + "': engine loop failed; unloading it, the next request reloads it", cause);
    metrics.residency().loadFailed(name());
    registry.unloadInBackground(this, taken, null);
  }

  private static String describe(Throwable t) {
    String message = t.getMessage();
    return message == null || message.isEmpty() ? t.getClass().getSimpleName()
        : t instanceof Error ? t.getClass().getSimpleName() + ": " + message : message;
  }

  /** The server's batching, with this model's own sequence count and KV budget. */
  private BatchingSettings sizedBatching(OnnxVlm engine) {
    int sequences = spec.maxRunningSequences() > 0 ? spec.maxRunningSequences() : batching.maxRunningSequences();
    int blocks = batching.kvBlocks();
    if (spec.kvBudgetBytes() > 0) {
      blocks = engine.kvFootprint().blocksFor(spec.kvBudgetBytes(), batching.kvBlockSize());
    }
    return new BatchingSettings(sequences, batching.maxBatchedTokens(), batching.kvBlockSize(), blocks,
        batching.maxEncoderTokensPerStep(), batching.staticBatching());
  }

  /** What the batch decoder's cache can grow to, as the decoder graph's footprint says. */
  private static long kvBytes(OnnxVlm engine, BatchingSettings sized, int context) {
    int blocksPerSequence = (context + sized.kvBlockSize() - 1) / sized.kvBlockSize();
    long blocks = sized.kvBlocks() > 0 ? sized.kvBlocks() : (long) blocksPerSequence * sized.maxRunningSequences();
    return engine.kvFootprint().reservedBytes(sized.maxRunningSequences(), context, sized.kvBlockSize(), blocks);
  }

  /** Holds this. */
  private void fail(String reason) {
    error = reason == null ? "unknown error" : reason;
    state = ModelState.FAILED;
    failedAtNanos = System.nanoTime();
  }

  /**
   * Starts unloading if the model is resident and, with {@code requireIdle}, has no request
   * running or queued. New requests wait for the unload to finish and then load it again.
   *
   * @return the runner to close, or null if the model cannot be unloaded now
   */
  synchronized ModelRunner beginUnload(boolean requireIdle) {
    if (state != ModelState.LOADED || (requireIdle && inFlight > 0)) {
      return null;
    }
    ModelRunner taken = runner;
    runner = null;
    state = ModelState.UNLOADING;
    unloaded = new CompletableFuture<>();
    return taken;
  }

  /**
   * Closes what {@link #beginUnload} took: lets its requests finish within {@code drainGrace}
   * (if not null), closes the ONNX Runtime sessions, and only then gives the bytes back.
   */
  void finishUnload(ModelRunner taken, Duration drainGrace) {
    try {
      if (drainGrace != null) {
        awaitPrepared(drainGrace);
        taken.drain(drainGrace);
      }
      taken.close();
      NativeHeapTrim.trim();
    } finally {
      registry.release(this);
      CompletableFuture<Void> done;
      synchronized (this) {
        if (failAfterUnload != null) {
          fail(failAfterUnload);
          reloadAtOnce = true;
          failAfterUnload = null;
        } else {
          state = ModelState.AVAILABLE;
        }
        done = unloaded;
      }
      log.info(() -> "unloaded model '" + name() + "'");
      done.complete(null);
    }
  }

  /**
   * The explicit unload: at once if idle; with {@code drain}, after its requests finish.
   *
   * @return completes when the model's memory is released
   * @throws ModelBusyException if it has requests in flight and {@code drain} is false
   */
  CompletableFuture<Void> unload(boolean drain, Duration drainGrace) {
    ModelRunner taken;
    synchronized (this) {
      if (state == ModelState.UNLOADING) {
        return unloaded;
      }
      if (state != ModelState.LOADED) {
        return CompletableFuture.completedFuture(null);
      }
      if (!drain && inFlight > 0) {
        throw new ModelBusyException("model '" + name() + "' has " + inFlight
            + " request(s) in flight; unload it with drain to let them finish first");
      }
      taken = beginUnload(!drain);
    }
    CompletableFuture<Void> done = unloadedFuture();
    registry.unloadInBackground(this, taken, drain ? drainGrace : null);
    return done;
  }

  private synchronized CompletableFuture<Void> unloadedFuture() {
    return unloaded;
  }

  synchronized ModelState state() {
    return state;
  }

  /** A snapshot for listing. */
  public ModelStatus status() {
    ModelState s;
    ModelRunner ready;
    int queued;
    synchronized (this) {
      s = state;
      ready = runner;
      queued = inFlight;
    }
    int context = ready == null ? 0 : ready.model().maxContextTokens();
    return new ModelStatus(
        name(), family, s, s == ModelState.FAILED ? error : "", registry.reservedBy(this), spec.source().toString(), context,
        lastLoadMillis, queued, generatedTokens.get(), ready == null ? 0 : ready.stats().steps(),
        ready == null ? 0 : ready.stats().preemptions(), lastUsedEpochMillis, spec.pinned(), spec.weights().describe(),
        DownloadProgress.of(pulling));
  }

  /**
   * Stops taking requests, lets accepted ones finish until {@code grace} has passed, ends the
   * rest with CANCELLED, and frees the model.
   */
  void drainAndClose(Duration grace) {
    CompletableFuture<?> settling;
    synchronized (this) {
      draining = true;
      settling = state == ModelState.LOADING ? loading : state == ModelState.UNLOADING ? unloaded : null;
    }
    if (settling != null) {
      try {
        settling.get(grace.toMillis() + 10_000, TimeUnit.MILLISECONDS);
      } catch (ExecutionException | TimeoutException e) {
        // Failed or stuck: there is nothing resident to drain.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    ModelRunner taken = beginUnload(false);
    if (taken != null) {
      finishUnload(taken, grace);
    }
  }

  private ModelUnavailableException shuttingDown() {
    return new ModelUnavailableException("server is shutting down; model '" + name() + "' takes no new requests");
  }

  private RuntimeException asServingError(Throwable cause) {
    if (cause instanceof VlmException v) {
      return v;
    }
    if (cause instanceof TooLargeForBudgetException) {
      return new ResourceExhaustedException(cause.getMessage());
    }
    return new ModelUnavailableException("model '" + name() + "' failed to load: " + describe(cause), cause);
  }

  private static Throwable unwrap(Throwable t) {
    return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
  }
}
