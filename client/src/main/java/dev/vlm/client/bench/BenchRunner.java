package dev.vlm.client.bench;

import dev.vlm.client.StreamHandle;
import dev.vlm.client.VlmClient;
import io.grpc.Status;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Runs a benchmark against a vlm server over streamed generation, in-process.
 *
 * <pre>{@code
 * try (VlmClient client = VlmClient.connect("localhost:50051")) {
 *   BenchReport report =
 *       new BenchRunner(client, BenchConfig.closedLoop("tiny-llava", 8, 200),
 *               BenchSpec.defaultSpec(Optional.empty()), "built-in default")
 *           .run(progress -> System.err.print("\r" + progress.line()));
 *   System.out.print(report.table());
 * }
 * }</pre>
 *
 * <p>Warmup requests (if any) run first in closed loop at the configured concurrency and are
 * awaited; then the measured phase runs as configured (see {@link BenchConfig}). A failed
 * request is counted by its status and the run goes on.
 *
 * <p>Thread-safety: {@link #run} runs once, on the calling thread (which issues the requests);
 * {@link #stop} may be called from any thread.
 */
public final class BenchRunner {
  private static final Duration PROGRESS_INTERVAL = Duration.ofMillis(500);

  private final VlmClient client;
  private final BenchConfig config;
  private final BenchSpec spec;
  private final String specName;
  private final LongSupplier clock;
  private final Set<TrackedCall> inFlight = ConcurrentHashMap.newKeySet();
  private volatile boolean stopped;

  /**
   * Prepares a run.
   *
   * @param client the client to send requests through; the caller keeps ownership
   * @param config how to drive the load
   * @param spec the request mix
   * @param specName how the report names the mix (e.g. the spec file)
   */
  public BenchRunner(VlmClient client, BenchConfig config, BenchSpec spec, String specName) {
    this(client, config, spec, specName, System::nanoTime);
  }

  BenchRunner(
      VlmClient client, BenchConfig config, BenchSpec spec, String specName, LongSupplier clock) {
    this.client = Objects.requireNonNull(client, "client");
    this.config = Objects.requireNonNull(config, "config");
    this.spec = Objects.requireNonNull(spec, "spec");
    this.specName = Objects.requireNonNull(specName, "specName");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Runs the warmup, then the measured phase, and waits for every request to end.
   *
   * @param progress receives a snapshot about twice a second and once at the end, on another
   *     thread
   * @return the report of the measured phase
   * @throws BenchSpecException if an image of the spec cannot be read
   * @throws InterruptedException if the calling thread is interrupted; requests in flight are
   *     cancelled
   */
  public BenchReport run(Consumer<Progress> progress) throws InterruptedException {
    Objects.requireNonNull(progress, "progress");
    RequestSampler sampler = new RequestSampler(spec, config.model(), config.seed());
    try {
      if (config.warmup() > 0) {
        runClosedLoop(sampler, new Measurements(), config.warmup(), Long.MAX_VALUE);
      }
      return measure(sampler, progress);
    } catch (InterruptedException e) {
      cancelInFlight();
      throw e;
    }
  }

  /**
   * Stops issuing requests and cancels those in flight; {@link #run} then returns a report of
   * what finished (cancelled requests count as CANCELLED errors). Safe from any thread.
   */
  public void stop() {
    stopped = true;
    cancelInFlight();
  }

  private BenchReport measure(RequestSampler sampler, Consumer<Progress> progress)
      throws InterruptedException {
    Measurements measurements = new Measurements();
    long start = clock.getAsLong();
    long deadline =
        config.requests() > 0
            ? Long.MAX_VALUE
            : start + TimeUnit.MILLISECONDS.toNanos(config.durationMillis());
    long budget = config.requests() > 0 ? config.requests() : Long.MAX_VALUE;
    ScheduledExecutorService reporter =
        Executors.newSingleThreadScheduledExecutor(
            task -> Thread.ofPlatform().daemon().name("bench-progress").unstarted(task));
    reporter.scheduleAtFixedRate(
        () -> progress.accept(snapshot(measurements, start)),
        PROGRESS_INTERVAL.toMillis(),
        PROGRESS_INTERVAL.toMillis(),
        TimeUnit.MILLISECONDS);
    long delayed;
    try {
      delayed =
          config.openLoop()
              ? runOpenLoop(sampler, measurements, budget, deadline, start)
              : runClosedLoop(sampler, measurements, budget, deadline);
    } finally {
      reporter.shutdownNow();
      reporter.awaitTermination(1, TimeUnit.SECONDS);
    }
    double seconds = (clock.getAsLong() - start) / 1e9;
    progress.accept(snapshot(measurements, start));
    return measurements.report(config, specName, seconds, delayed);
  }

  /** Keeps {@code concurrency} requests in flight; returns 0 (no arrival is ever delayed). */
  private long runClosedLoop(
      RequestSampler sampler, Measurements measurements, long budget, long deadline)
      throws InterruptedException {
    int slots = config.concurrency();
    Semaphore free = new Semaphore(slots);
    for (long issued = 0; issued < budget && !stopped; issued++) {
      free.acquire();
      long now = clock.getAsLong();
      if (now >= deadline || stopped) {
        free.release();
        break;
      }
      issue(sampler, measurements, now, free);
    }
    free.acquire(slots);
    return 0;
  }

  /**
   * Issues requests at Poisson arrival times without waiting for answers, up to the in-flight
   * cap; returns how many arrivals had to wait for the cap.
   */
  private long runOpenLoop(
      RequestSampler sampler, Measurements measurements, long budget, long deadline, long start)
      throws InterruptedException {
    // Arrivals draw from their own generator, so the request sequence matches a closed loop's.
    SplittableRandom arrivals = new SplittableRandom(config.seed() ^ 0x5DEECE66DL);
    int slots = config.maxInFlight();
    Semaphore free = new Semaphore(slots);
    long due = start;
    long delayed = 0;
    for (long issued = 0; issued < budget && !stopped; issued++) {
      double gapSeconds = -Math.log(1 - arrivals.nextDouble()) / config.rate();
      due += (long) (gapSeconds * 1e9);
      if (due >= deadline) {
        break;
      }
      long wait = due - clock.getAsLong();
      if (wait > 0) {
        Thread.sleep(Duration.ofNanos(wait));
      }
      if (!free.tryAcquire()) {
        delayed++;
        free.acquire();
      }
      if (stopped) {
        free.release();
        break;
      }
      issue(sampler, measurements, due, free);
    }
    free.acquire(slots);
    return delayed;
  }

  private void issue(RequestSampler sampler, Measurements measurements, long due, Semaphore free) {
    RequestSampler.Drawn drawn = sampler.next();
    TrackedCall call = new TrackedCall();
    inFlight.add(call);
    StreamTimer timer =
        new StreamTimer(
            due,
            clock,
            outcome -> {
              measurements.record(outcome);
              inFlight.remove(call);
              free.release();
            });
    try {
      call.handle = client.generateStream(drawn.request(), timer);
      if (stopped) {
        call.cancel(); // stop() may have run before the handle was known
      }
    } catch (RuntimeException e) {
      timer.onError(Status.fromThrowable(e).asRuntimeException());
    }
  }

  private void cancelInFlight() {
    for (TrackedCall call : inFlight) {
      call.cancel();
    }
  }

  private Progress snapshot(Measurements measurements, long start) {
    double elapsed = Math.max((clock.getAsLong() - start) / 1e9, 1e-9);
    long done = measurements.done();
    return new Progress(
        done,
        config.requests(),
        measurements.failed(),
        elapsed,
        config.requests() > 0 ? 0 : config.durationMillis() / 1000.0,
        done / elapsed,
        measurements.outputTokens() / elapsed);
  }

  /** A request in flight; its handle is known once the call has started. */
  private static final class TrackedCall {
    volatile StreamHandle handle;

    void cancel() {
      StreamHandle started = handle;
      if (started != null) {
        started.cancel(); // cancelling an ended call does nothing
      }
    }
  }
}
