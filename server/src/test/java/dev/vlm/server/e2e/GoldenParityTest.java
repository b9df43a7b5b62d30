package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm.api.v1.FinishReason;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.InferenceGrpc;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The server's greedy output, through real gRPC calls over a socket, equals what
 * transformers.js 4.3.1 generated on the same model, images and prompts.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GoldenParityTest {
  private RunningServer server;

  @BeforeAll
  void start() {
    server = RunningServer.tinyLlava();
  }

  @AfterAll
  void stop() throws InterruptedException {
    server.close();
  }

  Stream<Goldens.Case> cases() {
    return Goldens.load("tiny-llava.json", "tiny-llava").stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void unaryMatchesTransformersJs(Goldens.Case golden) {
    GenerateResponse response = InferenceGrpc.newBlockingStub(server.channel).generate(golden.request());

    assertThat(response.getTokenIdsList()).isEqualTo(golden.tokenIds());
    assertThat(response.getText()).isEqualTo(golden.text());
    assertThat(response.getFinishReason()).isEqualTo(expectedReason(golden));
    assertThat(response.getRequestId()).isEqualTo(golden.id());
    assertThat(response.getUsage().getCompletionTokens()).isEqualTo(golden.tokenIds().size());
    assertThat(response.getUsage().getPromptTokens()).isEqualTo(golden.promptTokens());
    assertThat(response.getUsage().getImageTokens()).isEqualTo(golden.imageTokens());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void streamConcatenatesToTheSameOutput(Goldens.Case golden) {
    Iterator<GenerateResponse> stream = InferenceGrpc.newBlockingStub(server.channel).generateStream(golden.request());
    List<Integer> ids = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    GenerateResponse last = null;
    while (stream.hasNext()) {
      last = stream.next();
      if (!stream.hasNext()) {
        break;
      }
      assertThat(last.getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_UNSPECIFIED);
      assertThat(last.hasUsage()).isFalse();
      ids.addAll(last.getTokenIdsList());
      text.append(last.getText());
    }
    ids.addAll(last.getTokenIdsList());
    text.append(last.getText());

    assertThat(ids).isEqualTo(golden.tokenIds());
    assertThat(text.toString()).isEqualTo(golden.text());
    assertThat(last.getFinishReason()).isEqualTo(expectedReason(golden));
    assertThat(last.getUsage().getCompletionTokens()).isEqualTo(golden.tokenIds().size());
  }

  private static FinishReason expectedReason(Goldens.Case golden) {
    return golden.finishReason().equals("length") ? FinishReason.FINISH_REASON_LENGTH : FinishReason.FINISH_REASON_EOS;
  }
}
