package dev.vlm.server.generation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm.server.TestData;
import dev.vlm.server.config.BatchingSettings;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.RuntimeSettings;
import dev.vlm.server.engine.OrtRuntime;
import dev.vlm.server.image.ImageDecoder;
import dev.vlm.server.image.RgbImage;
import dev.vlm.server.metrics.ServerMetrics;
import dev.vlm.server.model.ModelFamilies;
import dev.vlm.server.template.ChatMessage;
import dev.vlm.server.template.ChatPart;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A failure in one request's part of a step (its image's encoding, its embeddings) fails that
 * request alone, naming the problem; the requests batched with it produce exactly the tokens
 * they produce alone.
 */
class OneRequestFailureTest {
  private static final int REQUESTS = 8;
  private static final List<String> IMAGES = List.of("checker_32.png", "gradient_32.png", "gray_48x40.png");

  @Test
  void aFailureInOneRequestsStepLeavesTheOthersExact() throws Exception {
    List<List<Integer>> solo = new ArrayList<>();
    try (ModelRunner alone = runner("alone", RequestFaults.NONE)) {
      for (int i = 0; i < REQUESTS; i++) {
        solo.add(run(alone, request(i)).get(60, TimeUnit.SECONDS));
      }
    }

    // Ids are the runner's name and the submission count: batch-4's image fails to encode;
    // batch-6's third step input fails after it has produced tokens.
    AtomicInteger embedsOfSix = new AtomicInteger();
    RequestFaults faults = (stage, id) -> {
      if (stage.equals("encode") && id.equals("batch-4")) {
        throw new IllegalStateException("injected encoder failure");
      }
      if (stage.equals("embed") && id.equals("batch-6") && embedsOfSix.incrementAndGet() == 3) {
        throw new IllegalArgumentException("injected embedding failure");
      }
    };
    List<CompletableFuture<List<Integer>>> together = new ArrayList<>();
    try (ModelRunner batch = runner("batch", faults)) {
      for (int i = 0; i < REQUESTS; i++) {
        together.add(run(batch, request(i)));
      }
      for (int i = 0; i < REQUESTS; i++) {
        CompletableFuture<List<Integer>> outcome = together.get(i);
        if (i == 3 || i == 5) {
          String expected = i == 3 ? "vision encoder failed on image input 0: injected encoder failure"
              : "preparing its step input failed: injected embedding failure";
          assertThat(outcome).failsWithin(60, TimeUnit.SECONDS).withThrowableThat()
              .havingRootCause().withMessageContaining(expected);
        } else {
          assertThat(outcome.get(60, TimeUnit.SECONDS)).as("request %d", i).isEqualTo(solo.get(i));
        }
      }
      assertThat(batch.stats().failed()).isEqualTo(2);
    }
  }

  /** A runner on its own copy of the model, which it closes. */
  private static ModelRunner runner(String name, RequestFaults faults) {
    LoadedModel model = new ModelLoader(ModelFamilies.builtIn(), OrtRuntime.create(RuntimeSettings.defaults()))
        .load(new ModelSpec("tiny-llava", TestData.tinyLlava(), Optional.empty()));
    return new ModelRunner(name, model, BatchingSettings.defaults(), 64, new ServerMetrics().forModel(name),
        (runner, failure) -> {}, faults);
  }

  private static CompletableFuture<List<Integer>> run(ModelRunner runner, GenerationRequest request) {
    CompletableFuture<List<Integer>> done = new CompletableFuture<>();
    List<Integer> tokens = new ArrayList<>();
    runner.submit(request, new GenerationSink() {
      @Override
      public void onTokens(int[] tokenIds, String text) {
        for (int id : tokenIds) {
          tokens.add(id);
        }
      }

      @Override
      public void onFinish(FinishReason reason, Usage usage) {
        done.complete(List.copyOf(tokens));
      }

      @Override
      public void onError(RuntimeException error) {
        done.completeExceptionally(error);
      }
    }, () -> false, () -> {});
    return done;
  }

  private static GenerationRequest request(int i) {
    RgbImage image = new ImageDecoder(1 << 20, 1 << 20).decode(TestData.bytes("testdata/images/" + IMAGES.get(i % IMAGES.size())));
    ChatMessage message = new ChatMessage("user", List.of(new ChatPart.Image(), new ChatPart.Text("Picture " + i + ": what is it?")));
    return new GenerationRequest("r" + i, new Prompt.Chat(List.of(message), List.of(image)),
        new SamplingRequest(OptionalInt.of(10 + i), Optional.of(0f), Optional.empty(), OptionalInt.empty(),
            OptionalLong.empty(), Optional.empty(), List.of(), true));
  }
}
