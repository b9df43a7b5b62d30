package dev.vlm.server.generation;

import dev.vlm.scheduler.DuplicateRequestException;
import dev.vlm.scheduler.InvalidRequestException;
import dev.vlm.scheduler.QueueFullException;
import dev.vlm.scheduler.Request;
import dev.vlm.scheduler.SchedulerClosedException;
import dev.vlm.scheduler.SchedulerConfig;
import dev.vlm.scheduler.SchedulerStats;
import dev.vlm.scheduler.loop.EngineLoop;
import dev.vlm.server.config.BatchingSettings;
import dev.vlm.server.engine.BatchDecoder;
import dev.vlm.server.errors.InvalidArgumentException;
import dev.vlm.server.errors.ModelUnavailableException;
import dev.vlm.server.errors.ResourceExhaustedException;
import dev.vlm.server.metrics.ModelMetrics;
import dev.vlm.server.text.IncrementalDetokenizer;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;

/**
 * A loaded model behind its continuous-batching loop: one thread owns the scheduler and the
 * engine; {@link #submit} prepares a request on the caller's thread and hands it over. Thread-safe.
 */
public final class ModelRunner implements AutoCloseable {
  private static final Duration GAUGE_PERIOD = Duration.ofMillis(200);
  private final LoadedModel model;
  private final int defaultMaxNewTokens;
  private final EngineLoop<RequestWork> loop;
  private final BatchDecoder decoder;
  private final AtomicLong ids = new AtomicLong();
  private final String name;
  private final ModelMetrics metrics;
  private final ScheduledExecutorService gauges;
  private long preemptionsSeen;

  /**
   * Starts the model's loop thread.
   *
   * @param name the model's name, for the thread and request ids
   * @param metrics where the model's serving metrics go
   */
  public ModelRunner(
      String name, LoadedModel model, BatchingSettings batching, int defaultMaxNewTokens, ModelMetrics metrics) {
    this(name, model, batching, defaultMaxNewTokens, metrics, (runner, failure) -> {});
  }

  /**
   * Starts the model's loop thread, with a handler told if the loop dies of a failure (an
   * {@link Error} such as {@link OutOfMemoryError}); its requests have then ended with
   * UNAVAILABLE naming the cause, and the runner takes no more.
   *
   * @param onLoopFailure runs once on the loop thread with this runner and the cause; must not block
   */
  public ModelRunner(
      String name, LoadedModel model, BatchingSettings batching, int defaultMaxNewTokens, ModelMetrics metrics,
      BiConsumer<ModelRunner, Throwable> onLoopFailure) {
    this(name, model, batching, defaultMaxNewTokens, metrics, onLoopFailure, RequestFaults.NONE);
  }

  /** As above, with failures injected into single requests' steps (tests, the soak run). */
  public ModelRunner(
      String name, LoadedModel model, BatchingSettings batching, int defaultMaxNewTokens, ModelMetrics metrics,
      BiConsumer<ModelRunner, Throwable> onLoopFailure, RequestFaults faults) {
    this.name = name;
    this.metrics = metrics;
    this.model = model;
    this.defaultMaxNewTokens = defaultMaxNewTokens;
    int context = model.maxContextTokens();
    int blocksPerSequence = (context + batching.kvBlockSize() - 1) / batching.kvBlockSize();
    SchedulerConfig config =
        SchedulerConfig.builder()
            .blockSize(batching.kvBlockSize())
            .totalBlocks(batching.kvBlocks() > 0 ? batching.kvBlocks() : blocksPerSequence * batching.maxRunningSequences())
            .maxBatchedTokens(batching.maxBatchedTokens())
            .maxRunningSequences(batching.maxRunningSequences())
            .maxWaitingRequests(Integer.MAX_VALUE / 2)
            .maxEncoderTokensPerStep(batching.maxEncoderTokensPerStep())
            .staticBatching(batching.staticBatching())
            .build();
    EngineLoop<RequestWork>[] self = new EngineLoop[1];
    decoder = model.engine().newBatchDecoder(batching.maxRunningSequences(), context);
    BatchedEngine engine = new BatchedEngine(model, decoder, id -> self[0].abort(id), faults);
    loop = EngineLoop.start(config, engine, System::nanoTime,
        r -> Thread.ofPlatform().name("model-" + name).daemon().unstarted(r),
        failure -> onLoopFailure.accept(this, failure));
    self[0] = loop;
    // The loop publishes a fresh snapshot after every step; one writer copies it into the
    // gauges, often enough for any scrape interval.
    gauges = Executors.newSingleThreadScheduledExecutor(
        r -> Thread.ofPlatform().name("gauges-" + name).daemon().unstarted(r));
    gauges.scheduleAtFixedRate(this::publishGauges, 0, GAUGE_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
  }


  /** Copies the scheduler's state into the gauges; runs on the gauge thread only. */
  private void publishGauges() {
    SchedulerStats stats = loop.stats();
    metrics.setWaiting(stats.waiting());
    metrics.setRunning(stats.running());
    metrics.setKvUtilization(stats.totalBlocks() == 0 ? 0 : (double) stats.usedBlocks() / stats.totalBlocks());
    for (; preemptionsSeen < stats.preemptions(); preemptionsSeen++) {
      metrics.preempted();
    }
  }

  /** The model being served. */
  public LoadedModel model() {
    return model;
  }

  /**
   * Prepares the request (template, images, tokens) on the calling thread and queues it.
   * Output and failures after this returns go to {@code sink}, from the loop thread.
   *
   * @param cancelled polled every step; true aborts the request
   * @param onDone runs once when the request has ended, however it ended
   * @throws InvalidArgumentException if the request does not fit the model (including images
   *     whose multimodal rotary positions the model's decoder cannot take)
   * @throws ResourceExhaustedException if the model's queue is full
   * @throws ModelUnavailableException if the model is shutting down
   */
  public void submit(GenerationRequest request, GenerationSink sink, BooleanSupplier cancelled, Runnable onDone) {
    PreparedPrompt prompt = PromptPreparer.prepare(model, request.prompt());
    if (prompt.positions().isPresent() && model.engine().writesCacheInPlace()) {
      // The in-place decoder derives positions from its mask; refusing here keeps such a
      // request from failing a whole batch step.
      throw new InvalidArgumentException("prompt", "model '" + name + "' has a decoder that takes only sequential "
          + "positions, so it cannot run this family's image positions (multimodal RoPE)");
    }
    int maxNewTokens = OutputBudget.maxNewTokens(model, request.sampling(), prompt.tokenIds().length, defaultMaxNewTokens);
    String id = name + "-" + ids.incrementAndGet();
    TokenChooser chooser = SamplingResolver.chooser(request.sampling(), model, prompt.tokenIds());
    OutputText output = new OutputText(new IncrementalDetokenizer(model.tokenizer(), true), request.sampling().stop());
    RequestWork work = new RequestWork(id, prompt, chooser, output, model.defaults().eosTokenIds(),
        !request.sampling().ignoreEos(), maxNewTokens, cancelled, sink, onDone, metrics);
    metrics.requestQueued();
    Request.Builder scheduled =
        Request.builder(id, prompt.tokenIds())
            .tenant(request.tenant())
            .priority(request.priority())
            .maxNewTokens(maxNewTokens);
    prompt.images().forEach(image -> scheduled.image(image.offset(), image.length()));
    request.deadlineNanos().ifPresent(scheduled::deadlineNanos);
    try {
      loop.submit(scheduled.build(), work, work);
    } catch (QueueFullException e) {
      throw new ResourceExhaustedException("model '" + name + "' is at its queue limit; retry later");
    } catch (InvalidRequestException e) {
      throw new InvalidArgumentException("prompt", "cannot be scheduled on this model: " + e.getMessage());
    } catch (SchedulerClosedException e) {
      throw new ModelUnavailableException("model '" + name + "' is shutting down");
    } catch (DuplicateRequestException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The failure that ended the model's loop, if one did; the runner then serves nothing. */
  public Optional<Throwable> loopFailure() {
    return loop.failure();
  }

  /** Requests queued or running. */
  public int inFlight() {
    return loop.inFlightCount();
  }

  /** The scheduler's counters. */
  public SchedulerStats stats() {
    return loop.stats();
  }

  /**
   * Stops taking requests, lets running ones finish within {@code grace}, then ends the rest.
   * Returns once the loop has stopped.
   */
  public void drain(Duration grace) {
    loop.shutdown(grace);
    try {
      loop.awaitTermination(grace.plusSeconds(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stops the loop (if still running) and frees the model. */
  @Override
  public void close() {
    loop.close();
    gauges.shutdownNow();
    publishGauges();
    // The loop thread has ended, so nothing uses the KV cache: its native memory comes back now.
    decoder.close();
    model.close();
  }
}
