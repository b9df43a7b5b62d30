package dev.vlm.server.generation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm.server.TestData;
import dev.vlm.server.config.BatchingSettings;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.RuntimeSettings;
import dev.vlm.server.engine.OrtRuntime;
import dev.vlm.server.errors.RequestCancelledException;
import dev.vlm.server.metrics.ServerMetrics;
import dev.vlm.server.model.ModelFamilies;
import dev.vlm.server.template.ChatMessage;
import dev.vlm.scheduler.SchedulerStats;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A cancelled request leaves the batch within two steps of the cancel, and its KV blocks are
 * free again, while the request batched with it goes on undisturbed.
 */
class CancelWithinTwoStepsTest {
  @Test
  void cancelledSequenceLeavesWithinTwoStepsAndFreesItsBlocks() throws Exception {
    LoadedModel model = new ModelLoader(ModelFamilies.builtIn(), OrtRuntime.create(RuntimeSettings.defaults()))
        .load(new ModelSpec("tiny-llava", TestData.tinyLlava(), Optional.empty()));
    try (ModelRunner runner = new ModelRunner("tiny-llava", model, BatchingSettings.defaults(), 256,
        new ServerMetrics().forModel("tiny-llava"))) {
      AtomicBoolean cancelled = new AtomicBoolean();
      AtomicLong stepAtCancel = new AtomicLong();
      AtomicLong stepAtEnd = new AtomicLong();
      AtomicInteger tokensAfterCancel = new AtomicInteger();
      CompletableFuture<RuntimeException> cancelledEnd = new CompletableFuture<>();
      runner.submit(request(400), new RecordingSink() {
        private int tokens;

        @Override
        public void onTokens(int[] ids, String text) {
          if (cancelled.get()) {
            tokensAfterCancel.incrementAndGet();
          } else if (++tokens == 3) {
            stepAtCancel.set(runner.stats().steps());
            cancelled.set(true);
          }
        }

        @Override
        public void onError(RuntimeException error) {
          // On the loop thread, as onTokens: both read the step count the loop last published.
          stepAtEnd.set(runner.stats().steps());
          cancelledEnd.complete(error);
        }
      }, cancelled::get, () -> {});
      CompletableFuture<FinishReason> otherEnd = new CompletableFuture<>();
      runner.submit(request(60), new RecordingSink() {
        @Override
        public void onFinish(FinishReason reason, Usage usage) {
          otherEnd.complete(reason);
        }
      }, () -> false, () -> {});

      assertThat(cancelledEnd.get(30, TimeUnit.SECONDS)).isInstanceOf(RequestCancelledException.class);
      // The cancel is seen at the start of the next step, which asks the loop to abort; the
      // abort takes effect before the step after. So at most two steps run with the request in.
      long stepsToLeave = stepAtEnd.get() - stepAtCancel.get();
      assertThat(stepsToLeave).isBetween(1L, 2L);
      assertThat(tokensAfterCancel.get()).isLessThanOrEqualTo(1);
      assertThat(otherEnd.get(30, TimeUnit.SECONDS)).isEqualTo(FinishReason.LENGTH);
      awaitIdle(runner);
      assertThat(runner.stats().usedBlocks()).isZero();
    }
  }

  private static void awaitIdle(ModelRunner runner) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    SchedulerStats stats = runner.stats();
    while ((stats.running() > 0 || stats.usedBlocks() > 0) && System.nanoTime() < deadline) {
      Thread.sleep(5);
      stats = runner.stats();
    }
  }

  private static GenerationRequest request(int tokens) {
    return new GenerationRequest("r", new Prompt.Chat(List.of(ChatMessage.text("user", "Tell me a story.")), List.of()),
        new SamplingRequest(OptionalInt.of(tokens), Optional.of(0f), Optional.empty(), OptionalInt.empty(),
            OptionalLong.empty(), Optional.empty(), List.of(), true));
  }

  /** A sink that ignores output unless a test overrides it. */
  private static class RecordingSink implements GenerationSink {
    @Override
    public void onTokens(int[] tokenIds, String text) {}

    @Override
    public void onFinish(FinishReason reason, Usage usage) {}

    @Override
    public void onError(RuntimeException error) {
      throw error;
    }
  }
}
