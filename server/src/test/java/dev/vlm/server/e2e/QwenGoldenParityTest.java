package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.ListenableFuture;
import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.api.v1.SamplingParams;
import dev.vlm.server.config.BatchingSettings;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.ServerConfig;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The server's greedy output for the Qwen2-VL and Qwen2.5-VL fixtures, through real gRPC calls,
 * equals the goldens (transformers.js 4.3.1 with Python's per-image processing and text-only rope
 * delta): multimodal rotary positions, several images per prompt, and requests with different
 * rope deltas sharing decode steps, also when a scarce KV cache makes them preempt each other.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QwenGoldenParityTest {
  private static final List<String> MODELS = List.of("tiny-qwen2-vl", "tiny-qwen2.5-vl");

  private RunningServer server;
  private RunningServer scarceKv;

  @BeforeAll
  void start() {
    server = RunningServer.start(ServerConfig.of(0, specs()));
    // 8 blocks of 16 positions hold about one long case: concurrent ones preempt each other, and
    // a resumed request's re-prefill runs on into its generated tokens. Chunks of 32 tokens
    // split prompts inside their image tokens.
    scarceKv = RunningServer.start(ServerConfig.of(0, specs()).withBatching(new BatchingSettings(8, 32, 16, 8, 8192)));
  }

  private static List<ModelSpec> specs() {
    return RunningServer.fixtures(MODELS);
  }

  @AfterAll
  void stop() throws InterruptedException {
    server.close();
    scarceKv.close();
  }

  Stream<Goldens.Case> cases() {
    return MODELS.stream().flatMap(model -> Goldens.load(model + ".json", model).stream()
        .map(c -> new Goldens.Case(model + "/" + c.id(), c.request(), c.tokenIds(), c.text(), c.finishReason(),
            c.promptTokens(), c.imageTokens())));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void matchesTheGoldens(Goldens.Case golden) {
    GoldenAssertions.assertUnaryMatches(server.channel, golden);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void streamConcatenatesToTheGoldens(Goldens.Case golden) {
    GoldenAssertions.assertStreamMatches(server.channel, golden);
  }

  @Test
  void allCasesAtOnceStillMatch() throws Exception {
    assertAllAtOnceMatch(server);
  }

  @Test
  void preemptedCasesResumeWithTheirGoldenTokens() throws Exception {
    long before = preemptions();
    assertAllAtOnceMatch(scarceKv);
    assertThat(preemptions() - before).isPositive();
  }

  @ParameterizedTest
  @ValueSource(strings = {"tiny-qwen2-vl", "tiny-qwen2.5-vl"})
  void moreImagesThanTheFamilyTakesAreInvalid(String model) {
    GenerateRequest request = GrpcAssertions.withImages(model, "testdata/images/qwen_noise_16x16.png", 9);

    GrpcAssertions.assertStatus(() -> InferenceGrpc.newBlockingStub(server.channel).generate(request), Status.Code.INVALID_ARGUMENT, "at most 8");
  }

  @Test
  void rawPromptImageWithoutVisionStartIsInvalid() {
    GenerateRequest request = GenerateRequest.newBuilder()
        .setModel("tiny-qwen2-vl")
        .setPrompt("<|im_start|>user\n<|image_pad|>What is it?<|im_end|>\n<|im_start|>assistant\n")
        .addImages(Goldens.image("testdata/images/qwen_noise_16x16.png"))
        .setSampling(SamplingParams.newBuilder().setMaxNewTokens(2).setTemperature(0f))
        .build();

    GrpcAssertions.assertStatus(() -> InferenceGrpc.newBlockingStub(server.channel).generate(request), Status.Code.INVALID_ARGUMENT, "vision_start");
  }

  /** Sends every case of both fixtures at once; each must still get its golden tokens. */
  private void assertAllAtOnceMatch(RunningServer target) throws Exception {
    List<Goldens.Case> all = cases().toList();
    InferenceGrpc.InferenceFutureStub stub = InferenceGrpc.newFutureStub(target.channel);
    // Together the requests share decode steps, each row at its own rope delta.
    List<ListenableFuture<GenerateResponse>> responses = new ArrayList<>();
    for (Goldens.Case golden : all) {
      responses.add(stub.generate(golden.request()));
    }
    for (int i = 0; i < all.size(); i++) {
      GenerateResponse response = responses.get(i).get(60, TimeUnit.SECONDS);
      assertThat(response.getTokenIdsList()).as(all.get(i).id()).isEqualTo(all.get(i).tokenIds());
      assertThat(response.getText()).as(all.get(i).id()).isEqualTo(all.get(i).text());
    }
  }


  private long preemptions() throws InterruptedException {
    long total = 0;
    for (String model : MODELS) {
      total += LongRequests.awaitModel(scarceKv.server, model, m -> m.inFlightRequests() == 0, Duration.ofSeconds(30))
          .preemptions();
    }
    return total;
  }
}
