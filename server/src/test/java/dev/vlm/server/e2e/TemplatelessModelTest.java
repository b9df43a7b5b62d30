package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vlm.api.v1.Content;
import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.api.v1.Message;
import dev.vlm.server.TestData;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.ServerConfig;
import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A model whose repository ships no chat template, as Salesforce/blip2-opt-2.7b: the BLIP-2
 * fixture with its template removed loads and serves raw prompts with Python's tokens; a chat
 * request to it is INVALID_ARGUMENT naming the missing template and the way out; the same model
 * configured with {@code chat_template: deploy/templates/blip2-opt.jinja} renders chats in BLIP-2's
 * "Question: .. Answer:" format, with Python's tokens.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TemplatelessModelTest {
  private static final String RAW_ONLY = "blip2-raw";
  private static final String CONFIGURED = "blip2-configured";
  private static final Path TEMPLATE = TestData.fromRepo("deploy/templates/blip2-opt.jinja");

  @TempDir static Path temp;
  private RunningServer server;

  @BeforeAll
  void start() throws IOException {
    Path dir = TestData.copyOf("tiny-blip2", temp, "blip2-without-template");
    Path tokenizerConfig = dir.resolve("tokenizer_config.json");
    ObjectNode config = (ObjectNode) new ObjectMapper().readTree(tokenizerConfig.toFile());
    config.remove("chat_template");
    Files.writeString(tokenizerConfig, config.toPrettyString());
    server = RunningServer.start(ServerConfig.of(0, List.of(
        new ModelSpec(RAW_ONLY, dir, Optional.empty()),
        new ModelSpec(CONFIGURED, dir, Optional.empty()).withChatTemplate(TEMPLATE))));
  }

  @AfterAll
  void stop() throws InterruptedException {
    server.close();
  }

  Stream<Goldens.Case> rawCases() {
    return Goldens.load("python/tiny-blip2.json", RAW_ONLY).stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rawCases")
  void rawPromptsMatchPython(Goldens.Case golden) {
    assertThat(golden.request().getPrompt()).isNotEmpty();
    GoldenAssertions.assertUnaryMatches(server.channel, golden);
    GoldenAssertions.assertStreamMatches(server.channel, golden);
  }

  @Test
  void aChatRequestWithoutATemplateNamesTheWayOut() {
    GrpcAssertions.assertStatus(
        () -> InferenceGrpc.newBlockingStub(server.channel).generate(chat(RAW_ONLY, "what is in the picture?")),
        Status.Code.INVALID_ARGUMENT, "no chat template", "'prompt'", "chat_template");
  }

  @Test
  void aConfiguredTemplateRendersTheModelCardsFormat() {
    Goldens.Case golden = Goldens.load("python/tiny-blip2.json", CONFIGURED).stream()
        .filter(c -> c.id().equals("wide_question")).findFirst().orElseThrow();
    // The golden's raw prompt is "<image>Question: what is in the picture? Answer:".
    assertThat(golden.request().getPrompt()).isEqualTo("<image>Question: what is in the picture? Answer:");

    assertThat(InferenceGrpc.newBlockingStub(server.channel).generate(chat(CONFIGURED, "what is in the picture?"))
        .getTokenIdsList()).isEqualTo(golden.tokenIds());
  }

  @Test
  void theConfiguredTemplateRefusesASystemTurn() {
    GenerateRequest request = chat(CONFIGURED, "what is in the picture?").toBuilder()
        .addMessages(0, Message.newBuilder().setRole("system").addContent(Content.newBuilder().setText("Be brief.")))
        .build();

    GrpcAssertions.assertStatus(
        () -> InferenceGrpc.newBlockingStub(server.channel).generate(request),
        Status.Code.INVALID_ARGUMENT, "user and assistant turns only");
  }

  private static GenerateRequest chat(String model, String question) {
    return GenerateRequest.newBuilder()
        .setModel(model)
        .addMessages(Message.newBuilder().setRole("user")
            .addContent(Content.newBuilder().setImage(Goldens.image("testdata/images/wide_50x30.png")))
            .addContent(Content.newBuilder().setText(question)))
        .setSampling(Goldens.load("python/tiny-blip2.json", model).getFirst().request().getSampling())
        .build();
  }
}
