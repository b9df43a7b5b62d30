package dev.vlm.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vlm.api.v1.Content;
import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.Image;
import dev.vlm.api.v1.Message;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RequestsTest {
  private static final Image CAT = Images.fromBytes(new byte[] {1, 2, 3});
  private static final Image DOG = Images.fromUri("file:///srv/dog.png");

  @Test
  void chatPutsMessagesInOrderWithImagesBeforeTheUserText() {
    GenerateRequest request =
        Requests.chat("tiny-llava")
            .system("Be brief.")
            .user("Compare them.", CAT, DOG)
            .assistant("A cat and a dog.")
            .build();

    assertThat(request.getModel()).isEqualTo("tiny-llava");
    assertThat(request.getPrompt()).isEmpty();
    assertThat(request.getImagesList()).isEmpty();
    assertThat(request.getMessagesList())
        .extracting(Message::getRole)
        .containsExactly("system", "user", "assistant");
    assertThat(request.getMessages(0).getContentList())
        .containsExactly(Requests.text("Be brief."));
    assertThat(request.getMessages(1).getContentList())
        .containsExactly(Requests.image(CAT), Requests.image(DOG), Requests.text("Compare them."));
  }

  @Test
  void messageKeepsPartsInTheGivenOrder() {
    Content[] parts = {Requests.text("before"), Requests.image(CAT), Requests.text("after")};

    GenerateRequest request = Requests.chat("m").message("user", parts).build();

    assertThat(request.getMessages(0).getContentList()).containsExactly(parts);
  }

  @Test
  void rawSendsPromptAndImagesWithoutMessages() {
    GenerateRequest request =
        Requests.raw("tiny-llava", "USER: <image><image> Compare. ASSISTANT:")
            .images(CAT)
            .images(DOG)
            .build();

    assertThat(request.getPrompt()).isEqualTo("USER: <image><image> Compare. ASSISTANT:");
    assertThat(request.getImagesList()).containsExactly(CAT, DOG);
    assertThat(request.getMessagesList()).isEmpty();
  }

  @Test
  void samplingSettingsLandInTheirFields() {
    GenerateRequest request =
        Requests.chat("m")
            .user("hi")
            .maxNewTokens(12)
            .temperature(0.7f)
            .topP(0.9f)
            .topK(40)
            .seed(-1L)
            .repetitionPenalty(1.1f)
            .stop("\n", "END")
            .ignoreEos(true)
            .requestId("req-1")
            .build();

    var sampling = request.getSampling();
    assertThat(sampling.getMaxNewTokens()).isEqualTo(12);
    assertThat(sampling.getTemperature()).isEqualTo(0.7f);
    assertThat(sampling.getTopP()).isEqualTo(0.9f);
    assertThat(sampling.getTopK()).isEqualTo(40);
    assertThat(sampling.hasSeed()).isTrue();
    assertThat(Long.toUnsignedString(sampling.getSeed())).isEqualTo("18446744073709551615");
    assertThat(sampling.getRepetitionPenalty()).isEqualTo(1.1f);
    assertThat(sampling.getStopList()).containsExactly("\n", "END");
    assertThat(sampling.getIgnoreEos()).isTrue();
    assertThat(request.getRequestId()).isEqualTo("req-1");
  }

  @Test
  void untouchedSamplingStaysUnsetSoTheServerDefaultsApply() {
    GenerateRequest request = Requests.chat("m").user("hi").build();

    assertThat(request.hasSampling()).isFalse();
  }

  @Test
  void zeroTemperatureIsGreedyAndAllowed() {
    assertThat(Requests.chat("m").user("hi").temperature(0f).build().getSampling().getTemperature())
        .isZero();
  }

  @Test
  void badSamplingValuesFailNamingTheField() {
    var builder = Requests.chat("m").user("hi");

    assertThatThrownBy(() -> builder.topP(1.5f)).hasMessageContaining("sampling.top_p");
    assertThatThrownBy(() -> builder.topP(0f)).hasMessageContaining("sampling.top_p");
    assertThatThrownBy(() -> builder.temperature(-0.1f))
        .hasMessageContaining("sampling.temperature");
    assertThatThrownBy(() -> builder.temperature(Float.NaN))
        .hasMessageContaining("sampling.temperature");
    assertThatThrownBy(() -> builder.maxNewTokens(0)).hasMessageContaining("max_new_tokens");
    assertThatThrownBy(() -> builder.topK(-1)).hasMessageContaining("sampling.top_k");
    assertThatThrownBy(() -> builder.repetitionPenalty(0f))
        .hasMessageContaining("sampling.repetition_penalty");
    assertThatThrownBy(() -> builder.stop("")).hasMessageContaining("sampling.stop");
  }

  @Test
  void chatWithoutMessagesIsRejected() {
    assertThatThrownBy(() -> Requests.chat("m").maxNewTokens(3).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("at least one message");
  }

  @Test
  void blankModelAndEmptyPromptAreRejected() {
    assertThatThrownBy(() -> Requests.chat(" ")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Requests.raw("m", "")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void imageFileBytesAreSentUnchanged(@TempDir Path dir) throws IOException {
    byte[] png = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 42};
    Path file = Files.write(dir.resolve("pixel.png"), png);

    Image image = Images.fromFile(file);

    assertThat(image.getData().toByteArray()).isEqualTo(png);
  }

  @Test
  void missingOrEmptyImageFilesFailWithThePath(@TempDir Path dir) throws IOException {
    Path empty = Files.createFile(dir.resolve("empty.png"));

    assertThatThrownBy(() -> Images.fromFile(dir.resolve("missing.png")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("missing.png");
    assertThatThrownBy(() -> Images.fromFile(empty))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("empty.png");
  }

  @Test
  void clientOptionsRejectHeadersGrpcCannotCarry() {
    assertThatThrownBy(() -> ClientOptions.defaults().withTenant("team\u00e9"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ClientOptions.defaults().withTenant(" "))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ClientOptions.defaults().withDeadline(java.time.Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
