package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.ListenableFuture;
import dev.vlm.api.v1.FinishReason;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.InferenceGrpc;
import io.grpc.Channel;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The checks every golden-parity test makes of one case, unary and streamed. */
final class GoldenAssertions {
  private GoldenAssertions() {}

  /** A unary call gives the golden tokens, text, finish reason and usage. */
  static void assertUnaryMatches(Channel channel, Goldens.Case golden) {
    GenerateResponse response = InferenceGrpc.newBlockingStub(channel).generate(golden.request());

    assertThat(response.getTokenIdsList()).isEqualTo(golden.tokenIds());
    assertThat(response.getText()).isEqualTo(golden.text());
    assertThat(response.getFinishReason()).isEqualTo(expectedReason(golden));
    assertThat(response.getUsage().getPromptTokens()).isEqualTo(golden.promptTokens());
    assertThat(response.getUsage().getImageTokens()).isEqualTo(golden.imageTokens());
    assertThat(response.getUsage().getCompletionTokens()).isEqualTo(golden.tokenIds().size());
  }

  /** A stream's pieces concatenate to the golden tokens and text, and its last one says why it ended. */
  static void assertStreamMatches(Channel channel, Goldens.Case golden) {
    Iterator<GenerateResponse> stream = InferenceGrpc.newBlockingStub(channel).generateStream(golden.request());
    List<Integer> ids = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    GenerateResponse last = null;
    while (stream.hasNext()) {
      last = stream.next();
      ids.addAll(last.getTokenIdsList());
      text.append(last.getText());
    }

    assertThat(ids).isEqualTo(golden.tokenIds());
    assertThat(text.toString()).isEqualTo(golden.text());
    assertThat(last).isNotNull();
    assertThat(last.getFinishReason()).isEqualTo(expectedReason(golden));
  }

  /**
   * Sends every case at once, so that they share steps (and other models' loops run meanwhile),
   * and checks each answer's tokens; a failure names the case's model and id.
   */
  static void assertAllAtOnceMatch(Channel channel, List<Goldens.Case> cases) throws Exception {
    InferenceGrpc.InferenceFutureStub stub = InferenceGrpc.newFutureStub(channel);
    List<ListenableFuture<GenerateResponse>> responses = cases.stream().map(c -> stub.generate(c.request())).toList();
    for (int i = 0; i < cases.size(); i++) {
      assertThat(responses.get(i).get(60, TimeUnit.SECONDS).getTokenIdsList())
          .as(cases.get(i).request().getModel() + "/" + cases.get(i).id())
          .isEqualTo(cases.get(i).tokenIds());
    }
  }

  /** The finish reason the golden records, as the API names it. */
  static FinishReason expectedReason(Goldens.Case golden) {
    return golden.finishReason().equals("length") ? FinishReason.FINISH_REASON_LENGTH : FinishReason.FINISH_REASON_EOS;
  }
}
