package dev.vlm.server.e2e;

import dev.vlm.api.v1.Content;
import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.Message;
import dev.vlm.api.v1.SamplingParams;
import dev.vlm.server.VlmServer;
import dev.vlm.server.serving.ModelStatus;
import java.time.Duration;
import java.util.function.Predicate;

/** Requests that run long on the tiny model, and waiting on server-side model state. */
final class LongRequests {
  private LongRequests() {}

  /** A greedy request that ignores EOS, so it runs exactly {@code tokens} steps. */
  static GenerateRequest ofTokens(int tokens) {
    return GenerateRequest.newBuilder()
        .setModel("tiny-llava")
        .addMessages(Message.newBuilder().setRole("user")
            .addContent(Content.newBuilder().setImage(Goldens.image("testdata/images/noise_32.png")))
            .addContent(Content.newBuilder().setText("Describe it.")))
        .setSampling(SamplingParams.newBuilder().setMaxNewTokens(tokens).setTemperature(0).setIgnoreEos(true))
        .build();
  }

  /** Polls the model's status until {@code condition} holds. */
  static ModelStatus awaitModel(VlmServer server, String name, Predicate<ModelStatus> condition, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      ModelStatus status = server.models().stream().filter(m -> m.name().equals(name)).findFirst().orElseThrow();
      if (condition.test(status)) {
        return status;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("model " + name + " did not reach the expected state in " + timeout + ": " + status);
      }
      Thread.sleep(5);
    }
  }
}
