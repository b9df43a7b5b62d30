package dev.vlm.server.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm.server.TestData;
import dev.vlm.server.config.BatchingSettings;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.RequestLimits;
import dev.vlm.server.config.ResidencySettings;
import dev.vlm.server.config.RuntimeSettings;
import dev.vlm.server.engine.OrtRuntime;
import dev.vlm.server.errors.ModelUnavailableException;
import dev.vlm.server.generation.FinishReason;
import dev.vlm.server.generation.GenerationRequest;
import dev.vlm.server.generation.LoadedModel;
import dev.vlm.server.generation.ModelLoader;
import dev.vlm.server.metrics.ServerMetrics;
import dev.vlm.server.model.ModelFamilies;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Errors, not only exceptions, on a model's load thread and in its engine loop: the load ends
 * FAILED with the cause and its reservation back, a dead loop fails its requests with UNAVAILABLE
 * naming the cause, and the next request or load brings the model back. No request hangs.
 */
class EngineFailureTest {
  private static final String MODEL = "tiny-llava";
  private static final Duration WAIT = Duration.ofSeconds(30);

  /** A real loader that throws an injected failure on its next load. */
  private static final class FaultyLoader extends ModelLoader {
    final AtomicReference<Error> nextLoad = new AtomicReference<>();

    FaultyLoader() {
      super(ModelFamilies.builtIn(), OrtRuntime.create(RuntimeSettings.defaults()));
    }

    @Override
    public LoadedModel load(ModelSpec spec) {
      Error injected = nextLoad.getAndSet(null);
      if (injected != null) {
        throw injected;
      }
      return super.load(spec);
    }
  }

  private final FaultyLoader loader = new FaultyLoader();
  private ModelRegistry registry;

  @BeforeEach
  void start() {
    // A long back-off: only the explicit LoadModel or the failed loop's own rule may reload.
    ResidencySettings residency = new ResidencySettings(0, Duration.ofHours(1), Duration.ofSeconds(5));
    registry = new ModelRegistry(List.of(new ModelSpec(MODEL, TestData.tinyLlava(), Optional.empty())), loader,
        RequestLimits.defaults(), BatchingSettings.defaults(), new ServerMetrics(), new MemoryBudget(4L << 30),
        residency, Duration.ofSeconds(5));
    registry.start();
  }

  @AfterEach
  void stop() {
    registry.drainAndClose(Duration.ZERO);
  }

  @Test
  void anErrorOnTheLoadThreadEndsTheLoadFailedWithTheCauseAndTheReservationBack() throws Exception {
    loader.nextLoad.set(new UnsatisfiedLinkError("no onnxruntime4j_jni in java.library.path (injected)"));

    RecordingSink waiting = submit(RecordingSink.storyRequest(4), () -> false);

    // Without a deadline the request still ends, with the load's cause.
    assertThat(waiting.error.get(WAIT.toSeconds(), TimeUnit.SECONDS))
        .isInstanceOf(ModelUnavailableException.class)
        .hasMessageContaining("UnsatisfiedLinkError").hasMessageContaining("injected");
    ModelStatus status = registry.get(MODEL).status();
    assertThat(status.state()).isEqualTo(ModelState.FAILED);
    assertThat(status.error()).contains("UnsatisfiedLinkError");
    assertThat(registry.reservedBytes()).isZero();

    // LoadModel retries at once and the model serves.
    assertThat(registry.load(MODEL).get(WAIT.toSeconds(), TimeUnit.SECONDS).state()).isEqualTo(ModelState.LOADED);
    assertThat(submit(RecordingSink.storyRequest(4), () -> false).finish.get(WAIT.toSeconds(), TimeUnit.SECONDS))
        .isEqualTo(FinishReason.LENGTH);
  }

  @Test
  void anErrorThatKillsTheLoopFailsItsRequestsUnavailableAndTheNextRequestReloads() throws Exception {
    registry.load(MODEL).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    long loadedBytes = registry.reservedBytes();
    assertThat(loadedBytes).isPositive();

    RecordingSink bystander = submit(RecordingSink.storyRequest(300), () -> false);
    assertThat(bystander.firstToken.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    // The cancel flag is polled on the loop thread every step: the injected error surfaces there,
    // outside any one step's containment, as a real OutOfMemoryError in the loop would.
    BooleanSupplier bomb = () -> {
      if (Thread.currentThread().getName().startsWith("model-")) {
        throw new OutOfMemoryError("Java heap space (injected)");
      }
      return false;
    };
    RecordingSink culprit = submit(RecordingSink.storyRequest(300), bomb);

    for (RecordingSink outcome : List.of(bystander, culprit)) {
      assertThat(outcome.error.get(WAIT.toSeconds(), TimeUnit.SECONDS))
          .isInstanceOf(ModelUnavailableException.class)
          .hasMessageContaining("engine loop failed").hasMessageContaining("OutOfMemoryError");
    }
    awaitStatus(s -> s.state() == ModelState.FAILED);
    assertThat(registry.get(MODEL).status().error()).contains("engine loop failed", "OutOfMemoryError");
    assertThat(registry.reservedBytes()).isZero();

    // The next request reloads it (the back-off is for broken directories, not a failed loop).
    assertThat(submit(RecordingSink.storyRequest(4), () -> false).finish.get(WAIT.toSeconds(), TimeUnit.SECONDS))
        .isEqualTo(FinishReason.LENGTH);
    assertThat(registry.get(MODEL).status().state()).isEqualTo(ModelState.LOADED);
    assertThat(registry.reservedBytes()).isEqualTo(loadedBytes);
  }

  private void awaitStatus(Predicate<ModelStatus> condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.test(registry.get(MODEL).status()) && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(registry.get(MODEL).status()).matches(condition);
  }

  /** How one request ended. */
  private RecordingSink submit(GenerationRequest request, BooleanSupplier cancelled) {
    RecordingSink outcome = new RecordingSink();
    registry.get(MODEL).submit(request, outcome, cancelled);
    return outcome;
  }
}
