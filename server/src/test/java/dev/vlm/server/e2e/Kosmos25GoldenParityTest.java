package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.ListenableFuture;
import dev.vlm.api.v1.Content;
import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.api.v1.Message;
import dev.vlm.api.v1.SamplingParams;
import dev.vlm.server.config.BatchingSettings;
import dev.vlm.server.config.ServerConfig;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Kosmos-2.5 fixture (real transformers classes, exported by
 * tools/testmodels/generate_kosmos2_5.py) serves the tokens and text of Python's
 * {@code Kosmos2_5ForConditionalGeneration.generate} through real gRPC calls, for {@code <ocr>} and
 * {@code <md>} on wide, tall, large, small, grayscale and RGBA images: flattened patches, the image
 * behind the BOS, layout tokens kept in the text. Unary, streamed, and in flight together with
 * other families' requests; one image per request, no more and no fewer.
 */
class Kosmos25GoldenParityTest extends PythonFamilyParity {
  private static final String MODEL = "tiny-kosmos2.5";
  private RunningServer scarceKv;

  Kosmos25GoldenParityTest() {
    super(MODEL, List.of("tiny-llava", "tiny-blip2"));
  }

  @BeforeAll
  void startScarceKvServer() {
    // 4 blocks of 16 positions hold two of the 28-position cases: four running ones preempt each
    // other and re-prefill into their generated tokens, whose segment and positions must stay
    // Python's. Chunks of 6 tokens split the prompt inside the image span.
    scarceKv = RunningServer.start(ServerConfig.of(0, RunningServer.fixtures(List.of(MODEL)))
        .withBatching(new BatchingSettings(4, 6, 16, 4, 8192)));
  }

  @AfterAll
  void stopScarceKvServer() throws InterruptedException {
    scarceKv.close();
  }

  @Test
  void aChatRequestWithTheTaskFirstRendersToTheSamePrompt() {
    Goldens.Case golden = cases().filter(c -> c.id().equals("wide_ocr")).findFirst().orElseThrow();
    GenerateRequest chat = GenerateRequest.newBuilder(golden.request())
        .clearPrompt()
        .clearImages()
        .addMessages(Message.newBuilder().setRole("user")
            .addContent(Content.newBuilder().setText("<ocr>"))
            .addContent(Content.newBuilder().setImage(Goldens.image("testdata/images/wide_50x30.png"))))
        .build();

    assertThat(InferenceGrpc.newBlockingStub(server.channel).generate(chat).getTokenIdsList()).isEqualTo(golden.tokenIds());
  }

  @Test
  void preemptedAndChunkedCasesKeepTheirGoldenTokens() throws Exception {
    long before = preemptions();
    List<Goldens.Case> all = cases().toList();
    InferenceGrpc.InferenceFutureStub stub = InferenceGrpc.newFutureStub(scarceKv.channel);
    List<ListenableFuture<GenerateResponse>> responses = all.stream().map(c -> stub.generate(c.request())).toList();

    for (int i = 0; i < all.size(); i++) {
      GenerateResponse response = responses.get(i).get(60, TimeUnit.SECONDS);
      assertThat(response.getTokenIdsList()).as(all.get(i).id()).isEqualTo(all.get(i).tokenIds());
      assertThat(response.getText()).as(all.get(i).id()).isEqualTo(all.get(i).text());
    }
    assertThat(preemptions() - before).isPositive();
  }

  private long preemptions() throws InterruptedException {
    return LongRequests.awaitModel(scarceKv.server, MODEL, m -> m.inFlightRequests() == 0, Duration.ofSeconds(30))
        .preemptions();
  }

  @Test
  void moreThanOneImageIsInvalid() {
    GenerateRequest request = GrpcAssertions.withImages(MODEL, "testdata/images/wide_50x30.png", 2);

    GrpcAssertions.assertStatus(
        () -> InferenceGrpc.newBlockingStub(server.channel).generate(request), Status.Code.INVALID_ARGUMENT, "at most 1");
  }

  @Test
  void noImageIsInvalid() {
    GenerateRequest request = GenerateRequest.newBuilder()
        .setModel(MODEL)
        .setPrompt("<ocr>")
        .setSampling(SamplingParams.newBuilder().setMaxNewTokens(2).setTemperature(0f))
        .build();

    GrpcAssertions.assertStatus(
        () -> InferenceGrpc.newBlockingStub(server.channel).generate(request), Status.Code.INVALID_ARGUMENT,
        "images", "at least 1");
  }

  @Test
  void anImageWithoutItsPlaceholderIsInvalid() {
    GenerateRequest request = GenerateRequest.newBuilder()
        .setModel(MODEL)
        .setPrompt("<ocr>")
        .addImages(Goldens.image("testdata/images/wide_50x30.png"))
        .setSampling(SamplingParams.newBuilder().setMaxNewTokens(2).setTemperature(0f))
        .build();

    GrpcAssertions.assertStatus(
        () -> InferenceGrpc.newBlockingStub(server.channel).generate(request), Status.Code.INVALID_ARGUMENT,
        "prompt", "<image>");
  }
}
