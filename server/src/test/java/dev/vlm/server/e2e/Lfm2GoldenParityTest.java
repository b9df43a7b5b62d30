package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import dev.vlm.api.v1.Content;
import dev.vlm.api.v1.FinishReason;
import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.Image;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.api.v1.Message;
import dev.vlm.api.v1.SamplingParams;
import dev.vlm.server.TestData;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.ServerConfig;
import io.grpc.Status;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The server's greedy output for the LFM2-VL fixture (hybrid conv/attention decoder, NaFlex
 * tiles with a thumbnail), through real gRPC calls, equals what transformers.js 4.3.1
 * generated, alone and with every case in flight at once. The thumbnails of the tiled cases are
 * exact halvings, which the server resamples as transformers.js does, so no case is skipped.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Lfm2GoldenParityTest {
  private static final String MODEL = "tiny-lfm2-vl";

  private RunningServer server;

  @BeforeAll
  void start() {
    server = RunningServer.start(ServerConfig.of(0,
        List.of(new ModelSpec(MODEL, TestData.root().resolve("models").resolve(MODEL), Optional.empty()))));
  }

  @AfterAll
  void stop() throws InterruptedException {
    server.close();
  }

  List<Goldens.Case> cases() {
    return Goldens.load(MODEL + ".json", MODEL);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void matchesTransformersJs(Goldens.Case golden) {
    GenerateResponse response = InferenceGrpc.newBlockingStub(server.channel).generate(golden.request());

    assertThat(response.getTokenIdsList()).isEqualTo(golden.tokenIds());
    assertThat(response.getText()).isEqualTo(golden.text());
    assertThat(response.getFinishReason())
        .isEqualTo(golden.finishReason().equals("length") ? FinishReason.FINISH_REASON_LENGTH : FinishReason.FINISH_REASON_EOS);
    assertThat(response.getUsage().getPromptTokens()).isEqualTo(golden.promptTokens());
    assertThat(response.getUsage().getImageTokens()).isEqualTo(golden.imageTokens());
    assertThat(response.getUsage().getCompletionTokens()).isEqualTo(golden.tokenIds().size());
  }

  @Test
  void allCasesAtOnceStillMatch() throws Exception {
    List<Goldens.Case> all = cases();
    InferenceGrpc.InferenceFutureStub stub = InferenceGrpc.newFutureStub(server.channel);
    // Sent together, the requests decode as left-padded batches whose rows carry their own conv states.
    List<ListenableFuture<GenerateResponse>> responses =
        all.stream().map(golden -> stub.generate(golden.request())).toList();

    for (int i = 0; i < all.size(); i++) {
      assertThat(responses.get(i).get(60, TimeUnit.SECONDS).getTokenIdsList())
          .as(all.get(i).id())
          .isEqualTo(all.get(i).tokenIds());
    }
  }

  @Test
  void anImageTooElongatedToResizeIsInvalid() throws IOException {
    BufferedImage strip = new BufferedImage(2000, 1, BufferedImage.TYPE_INT_RGB);
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    ImageIO.write(strip, "png", png);
    GenerateRequest request = GenerateRequest.newBuilder()
        .setModel(MODEL)
        .addMessages(Message.newBuilder().setRole("user")
            .addContent(Content.newBuilder().setImage(Image.newBuilder().setData(ByteString.copyFrom(png.toByteArray()))))
            .addContent(Content.newBuilder().setText("What is this?")))
        .setSampling(SamplingParams.newBuilder().setMaxNewTokens(2).setTemperature(0f))
        .build();

    GrpcAssertions.assertStatus(() -> InferenceGrpc.newBlockingStub(server.channel).generate(request), Status.Code.INVALID_ARGUMENT, "aspect ratio");
  }

  @Test
  void moreImagesThanTheFamilyTakesAreInvalid() {
    GenerateRequest request = GrpcAssertions.withImages(MODEL, "testdata/images/lfm2_16x16_bars.png", 9);

    GrpcAssertions.assertStatus(() -> InferenceGrpc.newBlockingStub(server.channel).generate(request), Status.Code.INVALID_ARGUMENT, "at most 8");
  }
}
