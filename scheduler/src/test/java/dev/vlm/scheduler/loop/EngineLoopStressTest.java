package dev.vlm.scheduler.loop;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm.scheduler.FinishReason;
import dev.vlm.scheduler.QueueFullException;
import dev.vlm.scheduler.Request;
import dev.vlm.scheduler.SchedulerConfig;
import dev.vlm.scheduler.SchedulerStats;
import dev.vlm.scheduler.fake.FakeModel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * 1,000 random requests from several threads through one {@link EngineLoop} with a fake model
 * whose steps cost simulated time: every request ends exactly once, completed outputs equal the
 * model's greedy continuation, cut-short outputs are prefixes of it, and nothing is left held.
 */
class EngineLoopStressTest {
  private static final int REQUESTS = 1_000;
  private static final int SUBMITTERS = 4;
  private static final long STEP_NANOS = 200_000;
  private static final long TOKEN_NANOS = 2_000;

  private record Spec(Request.Builder builder, int[] prompt, int maxNewTokens, long deadlineOffset, boolean cancel) {}

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void thousandRequestsFromManyThreadsAllEndCorrectly() throws Exception {
    SchedulerConfig config =
        SchedulerConfig.builder()
            .blockSize(8)
            .totalBlocks(200)
            .maxBatchedTokens(256)
            .maxRunningSequences(32)
            .maxWaitingRequests(128)
            .maxEncoderTokensPerStep(96)
            .build();
    FakeModel model = new FakeModel(500, 0);
    AtomicLong clock = new AtomicLong();
    CostModelEngine engine = new CostModelEngine(model, config.blockSize(), clock, STEP_NANOS, TOKEN_NANOS);
    EngineLoop<String> loop =
        EngineLoop.start(config, engine, clock::get, r -> Thread.ofPlatform().name("stress-loop").daemon().unstarted(r));

    List<Spec> specs = randomSpecs(new Random(20240611));
    CountDownLatch allDone = new CountDownLatch(REQUESTS);
    RecordingListener[] listeners = new RecordingListener[REQUESTS];
    for (int i = 0; i < REQUESTS; i++) {
      listeners[i] = new RecordingListener(allDone);
    }
    AtomicInteger queueFullRetries = new AtomicInteger();
    List<Thread> submitters = new ArrayList<>();
    for (int t = 0; t < SUBMITTERS; t++) {
      int first = t;
      Random random = new Random(77 + t);
      submitters.add(Thread.ofPlatform().name("submitter-" + t).start(() -> {
        for (int i = first; i < REQUESTS; i += SUBMITTERS) {
          Spec spec = specs.get(i);
          if (spec.deadlineOffset() > 0) {
            spec.builder().deadlineNanos(clock.get() + spec.deadlineOffset());
          }
          Request request = spec.builder().build();
          while (true) {
            try {
              loop.submit(request, "payload-" + i, listeners[i]);
              break;
            } catch (QueueFullException e) {
              queueFullRetries.incrementAndGet();
              LockSupport.parkNanos(200_000);
            }
          }
          if (spec.cancel()) {
            // Sometimes at once, sometimes an earlier request of this thread.
            int victim = random.nextBoolean() ? i : Math.max(first, i - SUBMITTERS * random.nextInt(8));
            loop.abort("r" + victim);
          }
        }
      }));
    }
    for (Thread submitter : submitters) {
      submitter.join();
    }
    assertThat(allDone.await(30, TimeUnit.SECONDS)).as("every request finished").isTrue();
    loop.shutdown(Duration.ZERO);
    assertThat(loop.awaitTermination(Duration.ofSeconds(5))).isTrue();

    Map<FinishReason, Integer> reasons = new EnumMap<>(FinishReason.class);
    for (int i = 0; i < REQUESTS; i++) {
      RecordingListener listener = listeners[i];
      Spec spec = specs.get(i);
      assertThat(listener.finishes.get()).as("finishes of r%d", i).isEqualTo(1);
      assertThat(listener.error).as("r%d", i).isNull();
      FinishReason reason = listener.finished.reason();
      reasons.merge(reason, 1, Integer::sum);
      List<Integer> expected = model.expectedOutput(spec.prompt(), spec.maxNewTokens());
      switch (reason) {
        case EOS, LENGTH -> {
          assertThat(listener.tokens).as("output of r%d", i).isEqualTo(expected);
          assertThat(model.isEos(expected.getLast())).isEqualTo(reason == FinishReason.EOS);
        }
        case ABORTED, DEADLINE_EXCEEDED ->
            assertThat(expected.subList(0, listener.tokens.size())).as("prefix of r%d", i).isEqualTo(listener.tokens);
        default -> throw new AssertionError("r" + i + " ended " + listener.finished);
      }
      assertThat(listener.finished.generatedTokens()).isEqualTo(listener.tokens.size());
    }
    assertThat(reasons.getOrDefault(FinishReason.LENGTH, 0)).isGreaterThan(REQUESTS / 4);
    assertThat(reasons).containsKeys(FinishReason.EOS, FinishReason.ABORTED, FinishReason.DEADLINE_EXCEEDED);

    SchedulerStats stats = loop.stats();
    assertThat(stats.usedBlocks()).isZero();
    assertThat(stats.freeBlocks()).isEqualTo(config.totalBlocks());
    assertThat(stats.waiting()).isZero();
    assertThat(stats.running()).isZero();
    assertThat(stats.preemptions()).as("the pool is small enough to force preemption").isPositive();
    assertThat(stats.completed() + stats.aborted() + stats.deadlineExceeded()).isEqualTo(REQUESTS);
    assertThat(loop.inFlightCount()).isZero();
    assertThat(engine.liveStatesAtLastFinish()).isZero();
    System.out.printf(
        "stress: %s, %d steps, %d queue-full retries, simulated %.1f ms, %s%n",
        reasons, engine.steps.get(), queueFullRetries.get(), clock.get() / 1e6, stats);
  }

  private static List<Spec> randomSpecs(Random random) {
    List<Spec> specs = new ArrayList<>(REQUESTS);
    for (int i = 0; i < REQUESTS; i++) {
      int promptLength = 8 + random.nextInt(193);
      int[] prompt = random.ints(promptLength, 1, 500).toArray();
      int maxNew = 1 + random.nextInt(64);
      Request.Builder builder =
          Request.builder("r" + i, prompt)
              .tenant(random.nextInt(2) == 0 ? "t0" : "t" + (1 + random.nextInt(4)))
              .priority(random.nextInt(3))
              .maxNewTokens(maxNew);
      int longestImage = Math.min(64, promptLength);
      if (random.nextInt(10) < 3 && longestImage >= 16) {
        int length = 16 + random.nextInt(longestImage - 15);
        builder.image(random.nextInt(promptLength - length + 1), length);
      }
      long deadline = random.nextInt(5) == 0 ? 200_000 + random.nextLong(20_000_000) : 0;
      specs.add(new Spec(builder, prompt, maxNew, deadline, random.nextInt(10) == 0));
    }
    return specs;
  }
}
