package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.vlm.api.v1.Content;
import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.Image;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.api.v1.Message;
import dev.vlm.api.v1.SamplingParams;
import dev.vlm.server.TestData;
import dev.vlm.server.config.RequestLimits;
import dev.vlm.server.config.ServerConfig;
import io.grpc.Status;
import java.util.Arrays;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Every kind of bad input gets its own clear status naming the problem, and the server goes on
 * serving good requests afterwards.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputTest {
  private static final long MAX_IMAGE_BYTES = 64 * 1024;
  private static final long MAX_IMAGE_PIXELS = 100 * 100;

  private RunningServer server;
  private InferenceGrpc.InferenceBlockingStub stub;

  @BeforeAll
  void start() {
    ServerConfig config =
        RunningServer.tinyLlavaConfig()
            .withLimits(new RequestLimits(
                    MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, 8, 64, 16,
                    RequestLimits.defaults().maxPendingStreamMessages()));
    server = RunningServer.start(config);
    stub = InferenceGrpc.newBlockingStub(server.channel);
  }

  @AfterAll
  void stop() throws InterruptedException {
    server.close();
  }

  @AfterEach
  void serverStillServes() {
    GenerateResponse ok = stub.generate(valid(UnaryOperator.identity()));
    assertThat(ok.getTokenIdsCount()).isEqualTo(3);
  }

  @Test
  void unknownModelIsNotFound() {
    assertStatus(
        b -> b.setModel("no-such-model"), Status.Code.NOT_FOUND, "no-such-model", "tiny-llava");
  }

  @Test
  void missingModelNameIsInvalid() {
    assertStatus(b -> b.setModel(""), Status.Code.INVALID_ARGUMENT, "model");
  }

  @Test
  void noMessagesAndNoPromptIsInvalid() {
    assertStatus(GenerateRequest.Builder::clearMessages, Status.Code.INVALID_ARGUMENT, "messages", "no prompt");
  }

  @Test
  void undecodableImageIsInvalid() {
    byte[] garbage = "this is not an image at all".getBytes();
    assertStatus(withImage(garbage), Status.Code.INVALID_ARGUMENT, "messages[0].content[0].image");
  }

  @Test
  void truncatedImageIsInvalid() {
    byte[] png = TestData.bytes("testdata/images/noise_32.png");
    byte[] truncated = Arrays.copyOf(png, png.length / 2);
    assertStatus(withImage(truncated), Status.Code.INVALID_ARGUMENT, "messages[0].content[0].image");
  }

  @Test
  void imageOverTheByteLimitIsInvalid() {
    byte[] big = new byte[(int) MAX_IMAGE_BYTES + 1];
    System.arraycopy(TestData.bytes("testdata/images/noise_32.png"), 0, big, 0, 100);
    assertStatus(withImage(big), Status.Code.INVALID_ARGUMENT, "messages[0].content[0].image", String.valueOf(MAX_IMAGE_BYTES));
  }

  @Test
  void imageOverThePixelLimitIsInvalid() {
    // 200 x 120 = 24,000 pixels, over the 10,000 configured here.
    byte[] photo = TestData.bytes("testdata/images/photo_200x120.png");
    assertStatus(withImage(photo), Status.Code.INVALID_ARGUMENT, "messages[0].content[0].image", "pixels");
  }

  @Test
  void maxNewTokensBeyondTheContextIsInvalid() {
    assertStatus(
        b -> b.setSampling(SamplingParams.newBuilder().setMaxNewTokens(100_000)),
        Status.Code.INVALID_ARGUMENT, "sampling.max_new_tokens", "context");
  }

  @Test
  void negativeTemperatureIsInvalid() {
    assertStatus(
        b -> b.setSampling(SamplingParams.newBuilder().setTemperature(-0.5f)),
        Status.Code.INVALID_ARGUMENT, "sampling.temperature");
  }

  @Test
  void topPOutsideTheUnitIntervalIsInvalid() {
    assertStatus(
        b -> b.setSampling(SamplingParams.newBuilder().setTopP(1.5f)), Status.Code.INVALID_ARGUMENT, "sampling.top_p");
    assertStatus(
        b -> b.setSampling(SamplingParams.newBuilder().setTopP(-0.1f)), Status.Code.INVALID_ARGUMENT, "sampling.top_p");
  }

  @Test
  void placeholderCountMustMatchTheImagesOfARawPrompt() {
    assertStatus(
        b -> b.clearMessages().setPrompt("USER: <image> <image>\nhi ASSISTANT:")
            .addImages(Goldens.image("testdata/images/noise_32.png")),
        Status.Code.INVALID_ARGUMENT, "prompt", "placeholder");
  }

  @Test
  void moreImagesThanTheFamilyTakesAreInvalid() {
    GenerateRequest.Builder fiveImages = GenerateRequest.newBuilder().setModel("tiny-llava")
        .setPrompt("USER: <image><image><image><image><image> ASSISTANT:")
        .setSampling(SamplingParams.newBuilder().setMaxNewTokens(2));
    for (int i = 0; i < 5; i++) {
      fiveImages.addImages(Goldens.image("testdata/images/noise_32.png"));
    }
    GrpcAssertions.assertStatus(() -> stub.generate(fiveImages.build()), Status.Code.INVALID_ARGUMENT, "llava", "at most 4");
  }

  @Test
  void placeholderTypedInChatTextIsInvalid() {
    assertStatus(
        b -> b.setMessages(0, Message.newBuilder().setRole("user").addContent(Content.newBuilder().setText("look <image>"))),
        Status.Code.INVALID_ARGUMENT, "messages[0].content[0].text", "<image>");
  }

  @Test
  void nonDataUriIsInvalid() {
    assertStatus(
        b -> b.setMessages(0, Message.newBuilder().setRole("user")
            .addContent(Content.newBuilder().setImage(Image.newBuilder().setUri("file:///etc/passwd")))),
        Status.Code.INVALID_ARGUMENT, "messages[0].content[0].image.uri", "data:");
  }

  private static UnaryOperator<GenerateRequest.Builder> withImage(byte[] bytes) {
    return b -> b.setMessages(0, Message.newBuilder().setRole("user")
        .addContent(Content.newBuilder().setImage(Image.newBuilder().setData(ByteString.copyFrom(bytes))))
        .addContent(Content.newBuilder().setText("What is this?")));
  }

  private void assertStatus(UnaryOperator<GenerateRequest.Builder> change, Status.Code code, String... mentions) {
    GenerateRequest request = valid(change);
    GrpcAssertions.assertStatus(() -> stub.generate(request), code, mentions);
  }

  private static GenerateRequest valid(UnaryOperator<GenerateRequest.Builder> change) {
    GenerateRequest.Builder b =
        GenerateRequest.newBuilder()
            .setModel("tiny-llava")
            .addMessages(Message.newBuilder().setRole("user")
                .addContent(Content.newBuilder().setImage(Goldens.image("testdata/images/noise_32.png")))
                .addContent(Content.newBuilder().setText("What is this?")))
            .setSampling(SamplingParams.newBuilder().setMaxNewTokens(3).setTemperature(0).setIgnoreEos(true));
    return change.apply(b).build();
  }
}
