package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.server.config.HttpSettings;
import dev.vlm.server.config.ServerConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Both protocols give the same greedy tokens: every chat golden case of every family, asked over
 * HTTP (whole and streamed, images as data: URLs) and over gRPC on the same server. Raw-prompt
 * cases carry images, which OpenAI's completions API has no field for, so they are left out.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpParityTest {
  private static final List<String> MODELS =
      List.of("tiny-llava", "tiny-idefics3", "tiny-smolvlm", "tiny-qwen2-vl", "tiny-qwen2.5-vl", "tiny-lfm2-vl");

  private RunningServer server;
  private HttpApi http;

  @BeforeAll
  void start() {
    server = RunningServer.start(ServerConfig.of(0, RunningServer.fixtures(MODELS)).withHttp(HttpSettings.off().withPort(0)));
    http = new HttpApi(server.server.httpPort());
  }

  @AfterAll
  void stop() throws InterruptedException {
    server.close();
  }

  Stream<Goldens.Case> cases() {
    return MODELS.stream().flatMap(model -> Goldens.load(model + ".json", model).stream()
        .filter(c -> c.request().getMessagesCount() > 0)
        .map(c -> new Goldens.Case(model + "/" + c.id(), c.request(), c.tokenIds(), c.text(), c.finishReason(),
            c.promptTokens(), c.imageTokens())));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void httpGivesTheTokensGrpcGives(Goldens.Case golden) throws Exception {
    GenerateResponse grpc = InferenceGrpc.newBlockingStub(server.channel).generate(golden.request());
    ObjectNode body = HttpApi.chatBody(golden.request());

    HttpApi.Reply whole = http.post("/v1/chat/completions", body);
    assertThat(whole.status()).as(whole.raw().body()).isEqualTo(200);
    JsonNode choice = whole.json().get("choices").get(0);
    assertThat(HttpApi.tokenIds(choice)).isEqualTo(grpc.getTokenIdsList());
    assertThat(choice.get("message").get("content").asText()).isEqualTo(grpc.getText());
    assertThat(choice.get("finish_reason").asText()).isEqualTo(golden.finishReason());
    assertThat(whole.json().get("usage").get("prompt_tokens").asInt()).isEqualTo(grpc.getUsage().getPromptTokens());

    HttpApi.Reply streamed = http.post("/v1/chat/completions", body.deepCopy().put("stream", true));
    List<Integer> ids = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    for (String event : streamed.events()) {
      if (!event.equals("[DONE]")) {
        JsonNode delta = HttpApi.JSON.readTree(event).get("choices").get(0);
        ids.addAll(HttpApi.tokenIds(delta));
        text.append(delta.get("delta").path("content").asText(""));
      }
    }
    assertThat(ids).isEqualTo(grpc.getTokenIdsList());
    assertThat(text.toString()).isEqualTo(grpc.getText());
  }
}
