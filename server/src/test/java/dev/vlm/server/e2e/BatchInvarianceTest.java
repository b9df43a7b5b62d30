package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.api.v1.SamplingParams;
import dev.vlm.server.TestData;
import dev.vlm.server.config.BatchingSettings;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.ServerConfig;
import dev.vlm.server.serving.ModelStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A request's greedy output does not depend on what it is batched with: 16 concurrent requests
 * with different images, prompts and lengths each get the tokens they get alone (and the
 * transformers.js goldens), on the concatenating decoder and on the in-place GQA decoder.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BatchInvarianceTest {
  private static final int CONCURRENT = 16;
  private RunningServer server;
  private RunningServer scarceKv;

  @BeforeAll
  void start() {
    server = RunningServer.start(ServerConfig.of(0, List.of(
        new ModelSpec("tiny-llava", TestData.tinyLlava(), Optional.empty()),
        new ModelSpec("tiny-llava-gqa", TestData.root().resolve("models/tiny-llava-gqa"), Optional.empty()))));
    // A KV cache of 12 blocks of 16 positions holds about one long request: the 16 concurrent
    // ones preempt each other all the time and must still produce their own output.
    scarceKv = RunningServer.start(ServerConfig.of(0, List.of(
            new ModelSpec("tiny-llava", TestData.tinyLlava(), Optional.empty()),
            new ModelSpec("tiny-llava-gqa", TestData.root().resolve("models/tiny-llava-gqa"), Optional.empty())))
        .withBatching(new BatchingSettings(16, 512, 16, 12, 8192)));
  }

  @AfterAll
  void stop() throws InterruptedException {
    server.close();
    scarceKv.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"tiny-llava", "tiny-llava-gqa"})
  void concurrentRequestsGetTheirSoloTokens(String model) throws Exception {
    Run run = runConcurrently(server, model);
    assertThat(run.preemptions()).isZero();
    // Batched: far fewer steps than tokens (one request at a time would need one step per token).
    assertThat(run.steps()).isLessThan(run.tokens() / 2);
  }

  @ParameterizedTest
  @ValueSource(strings = {"tiny-llava", "tiny-llava-gqa"})
  void preemptedRequestsResumeWithTheirSoloTokens(String model) throws Exception {
    assertThat(runConcurrently(scarceKv, model).preemptions()).isPositive();
  }

  /** What running the requests together took: model steps, tokens generated, preemptions. */
  private record Run(long steps, long tokens, long preemptions) {}

  /** Runs the 16 requests alone, then together, and checks each got its solo output. */
  private Run runConcurrently(RunningServer server, String model) throws Exception {
    List<Goldens.Case> goldens = Goldens.load("tiny-llava.json", model);
    List<GenerateRequest> requests = new ArrayList<>();
    for (int i = 0; i < CONCURRENT; i++) {
      Goldens.Case golden = goldens.get(i % goldens.size());
      int extra = i / goldens.size();
      // The second round asks for other lengths, and ignores EOS, so rows leave at other steps.
      requests.add(extra == 0 ? golden.request() : golden.request().toBuilder()
          .setSampling(SamplingParams.newBuilder().setTemperature(0).setMaxNewTokens(5 + 7 * i).setIgnoreEos(true))
          .build());
    }
    InferenceGrpc.InferenceBlockingStub stub = InferenceGrpc.newBlockingStub(server.channel);
    List<List<Integer>> alone = new ArrayList<>();
    for (GenerateRequest request : requests) {
      alone.add(stub.generate(request).getTokenIdsList());
    }
    ModelStatus before = status(server, model);

    List<List<Integer>> together = new ArrayList<>();
    try (ExecutorService clients = Executors.newFixedThreadPool(CONCURRENT)) {
      List<CompletableFuture<GenerateResponse>> calls = new ArrayList<>();
      for (GenerateRequest request : requests) {
        calls.add(CompletableFuture.supplyAsync(() -> stub.generate(request), clients));
      }
      for (CompletableFuture<GenerateResponse> call : calls) {
        together.add(call.join().getTokenIdsList());
      }
    }

    assertThat(together).isEqualTo(alone);
    for (int i = 0; i < goldens.size(); i++) {
      assertThat(alone.get(i)).as(goldens.get(i).id()).isEqualTo(goldens.get(i).tokenIds());
    }
    long tokens = together.stream().mapToLong(List::size).sum();
    ModelStatus after = status(server, model);
    return new Run(after.steps() - before.steps(), tokens, after.preemptions() - before.preemptions());
  }

  private static ModelStatus status(RunningServer server, String model) throws InterruptedException {
    return LongRequests.awaitModel(server.server, model, m -> m.inFlightRequests() == 0, Duration.ofSeconds(30));
  }
}
