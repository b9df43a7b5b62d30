package dev.vlm.server.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vlm.server.TestData;
import dev.vlm.server.config.BatchingSettings;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.RequestLimits;
import dev.vlm.server.config.ResidencySettings;
import dev.vlm.server.config.RuntimeSettings;
import dev.vlm.server.engine.OrtRuntime;
import dev.vlm.server.errors.ModelUnavailableException;
import dev.vlm.server.errors.ResourceExhaustedException;
import dev.vlm.server.generation.FinishReason;
import dev.vlm.server.generation.ModelLoader;
import dev.vlm.server.metrics.ServerMetrics;
import dev.vlm.server.model.ModelFamilies;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A draining unload waits for requests still being prepared, and an unload that never ends
 * (stuck in native code) cannot make another model's load wait without bound.
 */
class DrainTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  @TempDir Path temp;
  private ModelRegistry registry;
  private final CountDownLatch release = new CountDownLatch(1);

  @AfterEach
  void stop() {
    release.countDown();
    if (registry != null) {
      registry.drainAndClose(Duration.ZERO);
    }
  }

  private ModelRegistry start(List<ModelSpec> specs, long budget, Duration evictionWait, Duration drainGrace) {
    registry = new ModelRegistry(specs, new ModelLoader(ModelFamilies.builtIn(), OrtRuntime.create(RuntimeSettings.defaults())),
        RequestLimits.defaults(), BatchingSettings.defaults(), new ServerMetrics(), new MemoryBudget(budget),
        new ResidencySettings(budget, Duration.ofSeconds(1), evictionWait), drainGrace);
    registry.start();
    return registry;
  }

  @Test
  void aDrainingUnloadWaitsForARequestStillBeingPrepared() throws Exception {
    start(List.of(new ModelSpec("m", TestData.tinyLlava(), Optional.empty())), 4L << 30, WAIT, WAIT);
    registry.load("m").get(WAIT.toSeconds(), TimeUnit.SECONDS);
    CountDownLatch preparing = new CountDownLatch(1);
    // The cancel flag is first polled on the caller's thread, just before the request is
    // prepared: holding it there stands in for a slow template or image.
    BooleanSupplier slowToPrepare = () -> {
      if (!Thread.currentThread().getName().startsWith("model-") && preparing.getCount() > 0) {
        preparing.countDown();
        awaitQuietly(release);
      }
      return false;
    };
    RecordingSink sink = new RecordingSink();
    Thread caller =
        Thread.ofPlatform().start(() -> registry.get("m").submit(RecordingSink.storyRequest(4), sink, slowToPrepare));
    assertThat(preparing.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();

    CompletableFuture<ModelStatus> unloaded = registry.unload("m", true);
    Thread.sleep(300);
    assertThat(unloaded).as("the unload waits for the request in preparation").isNotDone();
    release.countDown();
    caller.join(WAIT.toMillis());

    assertThat(sink.finish.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(FinishReason.LENGTH);
    assertThat(unloaded.get(WAIT.toSeconds(), TimeUnit.SECONDS).state()).isEqualTo(ModelState.AVAILABLE);
    assertThat(registry.reservedBytes()).isZero();
  }

  @Test
  void aRequestCutByADrainingUnloadEndsUnavailableNotWithASuccess() throws Exception {
    start(List.of(new ModelSpec("m", TestData.tinyLlava(), Optional.empty())), 4L << 30, WAIT, Duration.ofMillis(100));
    registry.load("m").get(WAIT.toSeconds(), TimeUnit.SECONDS);
    RecordingSink sink = new RecordingSink();
    registry.get("m").submit(RecordingSink.storyRequest(450), sink, () -> false);
    assertThat(sink.firstToken.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();

    registry.unload("m", true).get(WAIT.toSeconds(), TimeUnit.SECONDS);

    assertThatThrownBy(() -> sink.finish.get(WAIT.toSeconds(), TimeUnit.SECONDS))
        .cause().isInstanceOf(ModelUnavailableException.class).hasMessageContaining("stopped serving");
  }

  @Test
  @Timeout(60)
  void anUnloadStuckInNativeCodeDoesNotBlockAnotherModelsLoadWithoutBound() throws Exception {
    Path second = TestData.copyOfTinyLlava(temp, "second");
    start(List.of(new ModelSpec("stuck", TestData.tinyLlava(), Optional.empty()),
        new ModelSpec("other", second, Optional.empty())), 4L << 30, Duration.ofSeconds(1), Duration.ofMillis(100));
    // The budget fits one of the two: size it from the first one's real reservation.
    registry.load("stuck").get(WAIT.toSeconds(), TimeUnit.SECONDS);
    long one = registry.reservedBytes();
    registry.drainAndClose(Duration.ZERO);
    start(List.of(new ModelSpec("stuck", TestData.tinyLlava(), Optional.empty()),
        new ModelSpec("other", second, Optional.empty())), one + one / 2, Duration.ofSeconds(1), Duration.ofMillis(100));
    registry.load("stuck").get(WAIT.toSeconds(), TimeUnit.SECONDS);

    // A step that never returns, as a native call that hangs would: the loop thread blocks.
    CountDownLatch stepHangs = new CountDownLatch(1);
    BooleanSupplier hang = () -> {
      if (Thread.currentThread().getName().startsWith("model-")) {
        stepHangs.countDown();
        awaitQuietly(release);
      }
      return false;
    };
    registry.get("stuck").submit(RecordingSink.storyRequest(50), new RecordingSink(), hang);
    assertThat(stepHangs.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    registry.unload("stuck", true);

    long started = System.nanoTime();
    assertThatThrownBy(() -> registry.load("other").get(WAIT.toSeconds(), TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(ResourceExhaustedException.class).hasMessageContaining("'stuck'");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
    assertThat(registry.get("other").status().state()).isEqualTo(ModelState.AVAILABLE);
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(2, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
