package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

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
import java.util.Set;
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
 * generated, alone and with every case in flight at once, except where the two processors
 * resample apart (see {@link #RESAMPLED_APART}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Lfm2GoldenParityTest {
  private static final String MODEL = "tiny-lfm2-vl";
  /**
   * Cases whose tokens follow the resampler: transformers.js halves a tiled image's thumbnail as
   * the mean of 2x2 blocks of the normalized floats, the server resizes the 8-bit image with an
   * antialiased bilinear kernel as Python's Lfm2VlImageProcessor (torchvision) does, and on this
   * image the tokens part. The other tiled cases' thumbnails differ as much but their tokens do
   * not. PythonGoldenParityTest checks tiled images against Python.
   */
  static final Set<String> RESAMPLED_APART = Set.of(MODEL + "/tiled_quadrants");

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
    assumeFalse(RESAMPLED_APART.contains(MODEL + "/" + golden.id()), "transformers.js resamples this image unlike Python");
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
    List<Goldens.Case> all = cases().stream().filter(c -> !RESAMPLED_APART.contains(MODEL + "/" + c.id())).toList();
    // Sent together, the requests decode as left-padded batches whose rows carry their own conv states.
    GoldenAssertions.assertAllAtOnceMatch(server.channel, all);
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
