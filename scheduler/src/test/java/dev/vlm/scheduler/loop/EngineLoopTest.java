package dev.vlm.scheduler.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vlm.scheduler.DuplicateRequestException;
import dev.vlm.scheduler.FinishReason;
import dev.vlm.scheduler.InvalidRequestException;
import dev.vlm.scheduler.QueueFullException;
import dev.vlm.scheduler.Request;
import dev.vlm.scheduler.RequestEvent;
import dev.vlm.scheduler.SchedulerClosedException;
import dev.vlm.scheduler.SchedulerConfig;
import dev.vlm.scheduler.fake.FakeModel;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class EngineLoopTest {
  private static final long STEP_NANOS = 1_000_000;
  private final FakeModel model = new FakeModel(1000, -1);
  private final AtomicLong clock = new AtomicLong();
  private final AtomicReference<Thread> loopThread = new AtomicReference<>();
  private final java.util.List<Gate> gates = new java.util.ArrayList<>();
  private CostModelEngine engine;
  private EngineLoop<String> loop;

  private void start(SchedulerConfig.Builder config) {
    SchedulerConfig built = config.build();
    engine = new CostModelEngine(model, built.blockSize(), clock, STEP_NANOS, 0);
    loop = EngineLoop.start(built, engine, clock::get, r -> {
      Thread thread = Thread.ofPlatform().name("test-loop").daemon().unstarted(r);
      loopThread.set(thread);
      return thread;
    });
  }

  private static SchedulerConfig.Builder config() {
    return SchedulerConfig.builder().blockSize(4).totalBlocks(128).maxBatchedTokens(64)
        .maxRunningSequences(8).maxWaitingRequests(16).maxEncoderTokensPerStep(64);
  }

  private static Request request(String id, int maxNewTokens) {
    return Request.builder(id, IntStream.range(1, 9).map(i -> i * 7 + id.length()).toArray())
        .maxNewTokens(maxNewTokens).build();
  }

  private RecordingListener submit(Request request, CountDownLatch done) {
    RecordingListener listener = new RecordingListener(done);
    loop.submit(request, "payload", listener);
    return listener;
  }

  /** Blocks the engine's first step until released; tells when the step has begun. */
  private final class Gate {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    Gate install() {
      gates.add(this);
      AtomicBoolean used = new AtomicBoolean();
      engine.beforeStep(output -> {
        if (used.compareAndSet(false, true)) {
          entered.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      });
      return this;
    }

    void awaitEntered() throws InterruptedException {
      assertThat(entered.await(5, TimeUnit.SECONDS)).isTrue();
    }
  }

  @AfterEach
  void everyTestEndsWithAllBlocksFree() {
    if (loop != null) {
      gates.forEach(gate -> gate.release.countDown());
      loop.close();
      assertThat(loop.isTerminated()).isTrue();
      assertThat(loop.stats().usedBlocks()).isZero();
      assertThat(loop.stats().freeBlocks()).isEqualTo(loop.stats().totalBlocks());
      assertThat(loop.inFlightCount()).isZero();
    }
  }

  @Test
  void tokensAndTheFinishReachTheListener() throws Exception {
    start(config());
    CountDownLatch done = new CountDownLatch(1);
    Request request = request("a", 5);
    RecordingListener listener = submit(request, done);
    assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(listener.tokens).isEqualTo(model.expectedOutput(request.promptTokenIds(), 5));
    assertThat(listener.finished.reason()).isEqualTo(FinishReason.LENGTH);
    assertThat(listener.finished.generatedTokens()).isEqualTo(5);
  }

  @Test
  void anEngineExceptionFailsThatStepOnlyAndTheLoopGoesOn() throws Exception {
    start(config());
    engine.beforeStep(output -> {
      if (output.chunks().stream().anyMatch(c -> c.requestId().equals("boom"))) {
        throw new IllegalStateException("device lost");
      }
    });
    CountDownLatch first = new CountDownLatch(1);
    RecordingListener boom = submit(request("boom", 5), first);
    assertThat(first.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(boom.finished.reason()).isEqualTo(FinishReason.ERROR);
    assertThat(boom.finished.detail()).contains("device lost");

    CountDownLatch second = new CountDownLatch(1);
    Request after = request("after", 4);
    RecordingListener ok = submit(after, second);
    assertThat(second.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(ok.finished.reason()).isEqualTo(FinishReason.LENGTH);
    assertThat(ok.tokens).isEqualTo(model.expectedOutput(after.promptTokenIds(), 4));
    assertThat(loop.stats().failed()).isEqualTo(1);
  }

  @Test
  void anOutOfMemoryErrorEndsTheLoopAndEveryRequestWithItsCauseAndTellsTheHandler() throws Exception {
    SchedulerConfig built = config().build();
    engine = new CostModelEngine(model, built.blockSize(), clock, STEP_NANOS, 0);
    engine.beforeStep(output -> {
      if (output.chunks().size() == 2) {
        throw new OutOfMemoryError("Java heap space (injected)");
      }
    });
    AtomicReference<Throwable> reported = new AtomicReference<>();
    CountDownLatch handlerRan = new CountDownLatch(1);
    loop = EngineLoop.start(built, engine, clock::get, r -> Thread.ofPlatform().daemon().unstarted(r), t -> {
      reported.set(t);
      handlerRan.countDown();
    });
    CountDownLatch done = new CountDownLatch(2);
    RecordingListener running = submit(request("running", 100), done);
    RecordingListener other = submit(request("other", 100), done);
    assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(handlerRan.await(5, TimeUnit.SECONDS)).isTrue();
    for (RecordingListener listener : java.util.List.of(running, other)) {
      assertThat(listener.finished.reason()).isEqualTo(FinishReason.SHUTDOWN);
      assertThat(listener.finished.detail()).contains("engine loop failed", "OutOfMemoryError", "injected");
    }
    assertThat(reported.get()).isInstanceOf(OutOfMemoryError.class);
    assertThat(loop.failure()).containsSame(reported.get());
    assertThat(loop.awaitTermination(java.time.Duration.ofSeconds(5))).isTrue();
  }

  @Test
  void anErrorFromTheEngineIsContainedToItsStep() throws Exception {
    start(config());
    engine.beforeStep(output -> {
      if (output.chunks().stream().anyMatch(c -> c.requestId().equals("link"))) {
        throw new UnsatisfiedLinkError("no onnxruntime in java.library.path");
      }
    });
    CountDownLatch first = new CountDownLatch(1);
    RecordingListener failing = submit(request("link", 2), first);
    assertThat(first.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(failing.finished.reason()).isEqualTo(FinishReason.ERROR);
    assertThat(failing.finished.detail()).contains("UnsatisfiedLinkError");

    CountDownLatch second = new CountDownLatch(1);
    RecordingListener fine = submit(request("fine", 2), second);
    assertThat(second.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(fine.finished.reason()).isEqualTo(FinishReason.LENGTH);
    assertThat(loop.isTerminated()).isFalse();
  }

  @Test
  void anIdleLoopParksAndWakesOnSubmit() throws Exception {
    start(config());
    CountDownLatch first = new CountDownLatch(1);
    submit(request("a", 2), first);
    assertThat(first.await(5, TimeUnit.SECONDS)).isTrue();
    int steps = engine.steps.get();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (loopThread.get().getState() != Thread.State.WAITING && System.nanoTime() < until) {
      Thread.sleep(1);
    }
    assertThat(loopThread.get().getState()).isEqualTo(Thread.State.WAITING);
    Thread.sleep(50);
    assertThat(engine.steps.get()).isEqualTo(steps);
    assertThat(loopThread.get().getState()).isEqualTo(Thread.State.WAITING);

    CountDownLatch second = new CountDownLatch(1);
    RecordingListener listener = submit(request("b", 2), second);
    assertThat(second.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(listener.finished.reason()).isEqualTo(FinishReason.LENGTH);
  }

  @Test
  void shutdownDrainsUntilItsDeadlineThenEndsTheRest() throws Exception {
    start(config());
    Gate gate = new Gate().install();
    CountDownLatch done = new CountDownLatch(2);
    Request longOne = request("long", 200);
    RecordingListener shortListener = submit(request("short", 3), done);
    RecordingListener longListener = submit(longOne, done);
    gate.awaitEntered();
    // Each step costs 1 ms of loop time: "short" fits in the drain window, "long" does not.
    loop.shutdown(Duration.ofMillis(20));
    assertThatThrownBy(() -> loop.submit(request("late", 1), "payload", new RecordingListener(new CountDownLatch(1))))
        .isInstanceOf(SchedulerClosedException.class);
    gate.release.countDown();
    assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(loop.awaitTermination(Duration.ofSeconds(5))).isTrue();

    assertThat(shortListener.finished.reason()).isEqualTo(FinishReason.LENGTH);
    assertThat(longListener.finished.reason()).isEqualTo(FinishReason.SHUTDOWN);
    assertThat(longListener.tokens).hasSizeBetween(10, 30);
    assertThat(model.expectedOutput(longOne.promptTokenIds(), 200).subList(0, longListener.tokens.size()))
        .isEqualTo(longListener.tokens);
  }

  @Test
  void aFullQueueAndBadRequestsAreRefusedToTheCaller() throws Exception {
    start(config().maxRunningSequences(1).maxWaitingRequests(2).totalBlocks(8));
    Gate gate = new Gate().install();
    CountDownLatch done = new CountDownLatch(3);
    submit(request("a", 2), done);
    gate.awaitEntered();
    submit(request("b", 2), done);
    submit(request("c", 2), done);
    assertThatThrownBy(() -> submit(request("d", 2), new CountDownLatch(1)))
        .isInstanceOf(QueueFullException.class);
    assertThatThrownBy(() -> submit(request("b", 2), new CountDownLatch(1)))
        .isInstanceOf(DuplicateRequestException.class);
    assertThatThrownBy(() -> submit(request("huge", 100), new CountDownLatch(1)))
        .isInstanceOf(InvalidRequestException.class);
    gate.release.countDown();
    assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();

    CountDownLatch later = new CountDownLatch(1);
    RecordingListener d = submit(request("d", 2), later);
    assertThat(later.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(d.finished.reason()).isEqualTo(FinishReason.LENGTH);
  }

  @Test
  void abortThroughTheLoopEndsARunningRequest() throws Exception {
    start(config());
    Gate gate = new Gate().install();
    CountDownLatch done = new CountDownLatch(1);
    RecordingListener listener = submit(request("a", 100), done);
    gate.awaitEntered();
    loop.abort("a");
    loop.abort("unknown");
    gate.release.countDown();
    assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(listener.finished.reason()).isEqualTo(FinishReason.ABORTED);
    assertThat(listener.tokens).hasSize(1);
  }

  @Test
  void aDeadlineEndsARunningRequestOnTheLoopClock() throws Exception {
    start(config());
    CountDownLatch done = new CountDownLatch(1);
    Request request =
        Request.builder("a", new int[] {1, 2, 3}).maxNewTokens(100).deadlineNanos(clock.get() + 5 * STEP_NANOS).build();
    RecordingListener listener = submit(request, done);
    assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(listener.finished.reason()).isEqualTo(FinishReason.DEADLINE_EXCEEDED);
    assertThat(listener.tokens).hasSize(5);
  }

  @Test
  void submitsRacingWithShutdownAreEitherRefusedOrFinishedExactlyOnce() throws Exception {
    start(config().maxWaitingRequests(1_000).maxRunningSequences(4));
    int perThread = 200;
    java.util.List<RecordingListener> accepted = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
    CountDownLatch go = new CountDownLatch(1);
    java.util.List<Thread> threads = new java.util.ArrayList<>();
    for (int t = 0; t < 3; t++) {
      int thread = t;
      threads.add(Thread.ofPlatform().start(() -> {
        try {
          go.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int i = 0; i < perThread; i++) {
          RecordingListener listener = new RecordingListener(new CountDownLatch(1));
          try {
            loop.submit(request("t" + thread + "-" + i, 3), "payload", listener);
            accepted.add(listener);
          } catch (SchedulerClosedException e) {
            refused.incrementAndGet();
          }
        }
      }));
    }
    go.countDown();
    while (accepted.size() < 50) {
      Thread.onSpinWait();
    }
    loop.shutdown(Duration.ZERO);
    for (Thread thread : threads) {
      thread.join();
    }
    assertThat(loop.awaitTermination(Duration.ofSeconds(5))).isTrue();
    assertThat(accepted.size() + refused.get()).isEqualTo(3 * perThread);
    for (RecordingListener listener : accepted) {
      assertThat(listener.finishes.get()).isEqualTo(1);
      assertThat(listener.finished.reason()).isIn(FinishReason.LENGTH, FinishReason.SHUTDOWN);
    }
  }

  @Test
  void aThrowingListenerOrARefusingEngineHurtsOnlyItsOwnRequest() throws Exception {
    start(config());
    CountDownLatch done = new CountDownLatch(3);
    AtomicReference<RequestEvent.Finished> rudeFinish = new AtomicReference<>();
    loop.submit(request("rude", 3), "payload", new RequestListener() {
      @Override
      public void onToken(RequestEvent.Token token) {
        throw new IllegalStateException("listener bug");
      }

      @Override
      public void onFinish(RequestEvent.Finished finished) {
        rudeFinish.set(finished);
        done.countDown();
      }
    });
    RecordingListener refused = new RecordingListener(done);
    loop.submit(request("refused", 3), "refuse", refused);
    Request polite = request("polite", 3);
    RecordingListener politeListener = submit(polite, done);
    assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();

    assertThat(rudeFinish.get().reason()).isEqualTo(FinishReason.LENGTH);
    assertThat(refused.finished.reason()).isEqualTo(FinishReason.ERROR);
    assertThat(refused.finished.detail()).contains("payload refused");
    assertThat(refused.tokens).isEmpty();
    assertThat(politeListener.tokens).isEqualTo(model.expectedOutput(polite.promptTokenIds(), 3));
  }
}
