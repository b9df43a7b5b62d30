package dev.vlm.scheduler.loop;

import dev.vlm.scheduler.DuplicateRequestException;
import dev.vlm.scheduler.EngineResult;
import dev.vlm.scheduler.FinishReason;
import dev.vlm.scheduler.InvalidRequestException;
import dev.vlm.scheduler.QueueFullException;
import dev.vlm.scheduler.Request;
import dev.vlm.scheduler.RequestEvent;
import dev.vlm.scheduler.ScheduledChunk;
import dev.vlm.scheduler.Scheduler;
import dev.vlm.scheduler.SchedulerClosedException;
import dev.vlm.scheduler.SchedulerConfig;
import dev.vlm.scheduler.SchedulerException;
import dev.vlm.scheduler.SchedulerOutput;
import dev.vlm.scheduler.SchedulerStats;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The serving loop of one model: a single thread that owns a {@link Scheduler} and an {@link
 * Engine} and repeats schedule, execute, update for as long as there is work, delivering tokens
 * and finishes to each request's {@link RequestListener}.
 *
 * <p>Other threads only {@link #submit} and {@link #abort}: both put a command on a lock-free
 * queue and wake the loop, which drains the queue between steps. With nothing to do the loop
 * parks until a command arrives; it never spins. An exception from the engine fails the requests
 * of that step with {@link FinishReason#ERROR} and the loop goes on. A failure the loop cannot
 * survive (a {@link VirtualMachineError} such as {@link OutOfMemoryError}, or any throwable
 * outside a step) ends every request with {@link FinishReason#SHUTDOWN}, naming the cause, stops
 * the loop and is reported to the failure handler given to {@link #start}. {@link #shutdown} stops
 * accepting work, lets running requests finish until a drain deadline, then ends the rest with
 * {@link FinishReason#SHUTDOWN}. Every submitted request gets exactly one finish.
 *
 * <p>Thread-safe: {@link #submit}, {@link #abort}, {@link #stats}, {@link #shutdown}, {@link
 * #awaitTermination} and {@link #close} may be called from any thread. Listener and engine
 * callbacks run on the loop thread.
 *
 * @param <P> the per-request payload handed to the engine
 */
public final class EngineLoop<P> implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(EngineLoop.class.getName());

  private sealed interface Command permits Add, Abort {}

  private record Add(InFlight<?> request) implements Command {}

  private record Abort(String requestId) implements Command {}

  private final SchedulerConfig config;
  private final Scheduler scheduler;
  private final Engine<P> engine;
  private final LongSupplier nanoClock;
  private final Queue<Command> commands = new ConcurrentLinkedQueue<>();
  private final ConcurrentHashMap<String, InFlight<P>> inFlight = new ConcurrentHashMap<>();
  // Submitted requests not yet admitted to run: pending Add commands plus never-admitted waiting.
  private final AtomicInteger queued = new AtomicInteger();
  private final Object shutdownLock = new Object();
  private final Thread thread;
  private final Consumer<Throwable> onFailure;
  private volatile Throwable failure;
  private volatile boolean closing;
  private volatile long drainDeadlineNanos = Long.MAX_VALUE;
  private volatile boolean terminated;
  private volatile SchedulerStats stats;

  private EngineLoop(
      SchedulerConfig config, Engine<P> engine, LongSupplier nanoClock, ThreadFactory threads,
      Consumer<Throwable> onFailure) {
    this.onFailure = Objects.requireNonNull(onFailure, "onFailure");
    this.config = Objects.requireNonNull(config, "config");
    this.engine = Objects.requireNonNull(engine, "engine");
    this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    this.scheduler = new Scheduler(config, nanoClock);
    this.stats = scheduler.stats();
    this.thread = threads.newThread(this::run);
    if (thread == null) {
      throw new IllegalArgumentException("thread factory returned no thread");
    }
  }

  /**
   * Creates a scheduler for {@code config} and starts the loop thread.
   *
   * @param engine runs the model; used only on the loop thread from now on
   * @param nanoClock monotonic nanoseconds; request deadlines and the drain deadline refer to it
   * @param threads makes the loop thread (name it after the model)
   * @throws IllegalArgumentException if the factory returns no thread
   */
  public static <P> EngineLoop<P> start(
      SchedulerConfig config, Engine<P> engine, LongSupplier nanoClock, ThreadFactory threads) {
    return start(config, engine, nanoClock, threads, failure -> {});
  }

  /**
   * Like {@link #start(SchedulerConfig, Engine, LongSupplier, ThreadFactory)}, with a handler told
   * when the loop dies of a failure (after every request has been ended).
   *
   * @param onFailure runs once on the loop thread, with the throwable that ended the loop; must
   *     not block
   */
  public static <P> EngineLoop<P> start(
      SchedulerConfig config, Engine<P> engine, LongSupplier nanoClock, ThreadFactory threads,
      Consumer<Throwable> onFailure) {
    EngineLoop<P> loop = new EngineLoop<>(config, engine, nanoClock, threads, onFailure);
    loop.thread.start();
    return loop;
  }

  /**
   * Hands a request to the loop. The listener then receives its tokens and exactly one finish;
   * when this method throws, it receives nothing.
   *
   * @param payload passed to {@link Engine#onAdded} on the loop thread
   * @throws InvalidRequestException if the request could never be scheduled under the config
   * @throws DuplicateRequestException if a request with the same id is in flight
   * @throws QueueFullException if {@code maxWaitingRequests} submitted requests are not yet
   *     admitted
   * @throws SchedulerClosedException if the loop is shutting down or stopped
   */
  public void submit(Request request, P payload, RequestListener listener) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(listener, "listener");
    if (closing) {
      throw new SchedulerClosedException("engine loop is shutting down; request " + request.id() + " refused");
    }
    config.checkServable(request);
    InFlight<P> entry = new InFlight<>(request, payload, listener);
    if (inFlight.putIfAbsent(request.id(), entry) != null) {
      throw new DuplicateRequestException("request " + request.id() + " is already in flight");
    }
    try {
      reserveQueueSlot();
    } catch (QueueFullException e) {
      inFlight.remove(request.id(), entry);
      throw e;
    }
    Add add = new Add(entry);
    commands.add(add);
    LockSupport.unpark(thread);
    // The loop may have drained its queue for the last time just before our command arrived:
    // then exactly one of us claims the request, and if it is us, the caller learns it here.
    if (terminated && entry.claimFinish()) {
      commands.remove(add);
      inFlight.remove(request.id(), entry);
      queued.decrementAndGet();
      throw new SchedulerClosedException("engine loop has stopped; request " + request.id() + " refused");
    }
  }

  /**
   * Asks the loop to cancel a request; it finishes with {@link FinishReason#ABORTED} at the next
   * step boundary. Unknown or finished ids are ignored.
   */
  public void abort(String requestId) {
    if (!terminated) {
      commands.add(new Abort(Objects.requireNonNull(requestId, "requestId")));
      LockSupport.unpark(thread);
    }
  }

  /**
   * Scheduler gauges and counters as of the end of the last step (final once the loop has
   * terminated). Submits not yet drained by the loop are not counted as waiting.
   */
  public SchedulerStats stats() {
    return stats;
  }

  /** Requests submitted whose finish has not been delivered yet. */
  public int inFlightCount() {
    return inFlight.size();
  }

  /**
   * Stops accepting requests; what is in flight may finish until {@code drainTimeout} has passed
   * on the loop's clock, then the rest end with {@link FinishReason#SHUTDOWN} and the loop
   * thread exits. Calling again can only bring the drain deadline closer. Returns at once.
   */
  public void shutdown(Duration drainTimeout) {
    long now = nanoClock.getAsLong();
    long nanos = drainTimeout.isNegative() ? 0 : saturatedNanos(drainTimeout);
    long deadline = nanos > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + nanos;
    synchronized (shutdownLock) {
      drainDeadlineNanos = Math.min(drainDeadlineNanos, deadline);
      closing = true;
    }
    LockSupport.unpark(thread);
  }

  /**
   * Waits for the loop thread to exit after {@link #shutdown}.
   *
   * @return true if it has exited
   * @throws InterruptedException if interrupted while waiting
   */
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    thread.join(Math.max(1, timeout.toMillis()));
    return !thread.isAlive();
  }

  /** True once the loop thread has stopped. */
  public boolean isTerminated() {
    return terminated;
  }

  /** The throwable that ended the loop, if a failure did; empty while running or after a shutdown. */
  public Optional<Throwable> failure() {
    return Optional.ofNullable(failure);
  }

  /**
   * Shuts down without draining (in-flight requests end with {@code SHUTDOWN} after the current
   * step) and waits for the loop thread to exit. A hung engine call blocks this.
   */
  @Override
  public void close() {
    shutdown(Duration.ZERO);
    boolean interrupted = false;
    while (thread.isAlive()) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  // ---- loop thread only below ----

  private void run() {
    try {
      while (true) {
        drainCommands();
        if (closing) {
          // Commands submitted before the flag was set are visible now; they are drained too.
          drainCommands();
          if (!scheduler.hasPendingWork() || nanoClock.getAsLong() >= drainDeadlineNanos) {
            break;
          }
        }
        if (!scheduler.hasPendingWork()) {
          stats = scheduler.stats();
          if (commands.isEmpty() && !closing) {
            LockSupport.park(this);
          }
          continue;
        }
        step();
      }
      scheduler.abortAll(FinishReason.SHUTDOWN, "engine loop shut down");
      deliver(scheduler.takeFinished());
    } catch (Throwable t) {
      failure = t;
      LOG.log(System.Logger.Level.ERROR, "engine loop failed; ending all requests", t);
      // The requests did nothing wrong: they end as the loop's shutdown does, naming the cause.
      String detail = "engine loop failed: " + describe(t);
      try {
        scheduler.abortAll(FinishReason.SHUTDOWN, detail);
        deliver(scheduler.takeFinished());
      } catch (Throwable again) {
        LOG.log(System.Logger.Level.ERROR, "could not end requests through the scheduler", again);
      }
      endAllWithoutScheduler(FinishReason.SHUTDOWN, detail);
    } finally {
      terminated = true;
      endAllWithoutScheduler(FinishReason.SHUTDOWN, "engine loop has stopped");
      stats = scheduler.stats();
      if (failure != null) {
        try {
          onFailure.accept(failure);
        } catch (Throwable t) {
          LOG.log(System.Logger.Level.ERROR, "engine loop failure handler threw", t);
        }
      }
    }
  }

  private void step() {
    SchedulerOutput output = scheduler.schedule();
    for (String id : output.preempted()) {
      quietly("onPreempted", () -> engine.onPreempted(id));
    }
    deliver(output.finished());
    markAdmitted(output);
    if (output.hasWork()) {
      List<? extends RequestEvent> events;
      try {
        EngineResult result = engine.execute(output);
        events = scheduler.update(output, Objects.requireNonNull(result, "engine returned no result"));
      } catch (VirtualMachineError e) {
        throw e;
      } catch (Exception | Error e) {
        // Errors too: a native library failing to link or a failed assertion in one step
        // should not take down every other request of the model.
        LOG.log(System.Logger.Level.WARNING, "step " + output.step() + " failed", e);
        events = scheduler.failStep(output, "engine step failed: " + describe(e));
      }
      deliver(events);
    } else if (output.finished().isEmpty() && output.preempted().isEmpty()) {
      // Cannot happen while requests fit the config; back off rather than spin if it does.
      LockSupport.parkNanos(this, 1_000_000);
    }
    stats = scheduler.stats();
  }

  private void drainCommands() {
    for (Command command; (command = commands.poll()) != null; ) {
      switch (command) {
        case Add add -> accept(cast(add.request()));
        case Abort abort -> scheduler.abort(abort.requestId());
      }
    }
  }

  @SuppressWarnings("unchecked")
  private InFlight<P> cast(InFlight<?> entry) {
    return (InFlight<P>) entry;
  }

  private void accept(InFlight<P> entry) {
    Request request = entry.request;
    try {
      engine.onAdded(request, entry.payload);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "engine refused request " + request.id(), e);
      endWithoutScheduler(entry, FinishReason.ERROR, "engine refused the request: " + describe(e));
      return;
    }
    try {
      scheduler.add(request);
    } catch (SchedulerException e) {
      // submit() already checked all of this; only a bookkeeping bug gets here.
      endWithoutScheduler(entry, FinishReason.ERROR, e.getMessage());
    }
  }

  private void markAdmitted(SchedulerOutput output) {
    for (ScheduledChunk chunk : output.prefills()) {
      if (chunk.startPosition() == 0) {
        InFlight<P> entry = inFlight.get(chunk.requestId());
        if (entry != null && !entry.admitted) {
          entry.admitted = true;
          queued.decrementAndGet();
        }
      }
    }
  }

  private void deliver(List<? extends RequestEvent> events) {
    for (RequestEvent event : events) {
      switch (event) {
        case RequestEvent.Token token -> {
          InFlight<P> entry = inFlight.get(token.requestId());
          if (entry != null) {
            quietly("onToken", () -> entry.listener.onToken(token));
          }
        }
        case RequestEvent.Finished finished -> {
          InFlight<P> entry = inFlight.remove(finished.requestId());
          quietly("onFinished", () -> engine.onFinished(finished.requestId()));
          if (entry != null) {
            complete(entry, finished);
          }
        }
      }
    }
  }

  private void endWithoutScheduler(InFlight<P> entry, FinishReason reason, String detail) {
    inFlight.remove(entry.request.id(), entry);
    quietly("onFinished", () -> engine.onFinished(entry.request.id()));
    Request request = entry.request;
    complete(
        entry,
        new RequestEvent.Finished(
            request.id(), reason, request.promptLength(), 0, request.imageTokens(), 0, detail));
  }

  // Commands left behind at termination and entries left by a failure of the loop itself.
  private void endAllWithoutScheduler(FinishReason reason, String detail) {
    for (Command command; (command = commands.poll()) != null; ) {
      if (command instanceof Add add) {
        endWithoutScheduler(cast(add.request()), reason, detail);
      }
    }
    for (InFlight<P> entry : List.copyOf(inFlight.values())) {
      endWithoutScheduler(entry, reason, detail);
    }
  }

  private void complete(InFlight<P> entry, RequestEvent.Finished finished) {
    // Losing the claim means a racing submit() already refused it and gave its slot back.
    if (entry.claimFinish()) {
      if (!entry.admitted) {
        entry.admitted = true;
        queued.decrementAndGet();
      }
      quietly("onFinish", () -> entry.listener.onFinish(finished));
    }
  }

  private void reserveQueueSlot() {
    int limit = config.maxWaitingRequests();
    while (true) {
      int now = queued.get();
      if (now >= limit) {
        throw new QueueFullException("waiting queue is full (" + limit + " requests)");
      }
      if (queued.compareAndSet(now, now + 1)) {
        return;
      }
    }
  }

  private static void quietly(String what, Runnable callback) {
    try {
      callback.run();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, what + " callback threw", e);
    }
  }

  private static String describe(Throwable t) {
    String message = t.getMessage();
    return t.getClass().getSimpleName() + (message == null || message.isEmpty() ? "" : ": " + message);
  }

  private static long saturatedNanos(Duration duration) {
    try {
      return duration.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }
}
