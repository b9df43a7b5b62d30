package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm.api.v1.Content;
import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.api.v1.Message;
import io.grpc.Status;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The BLIP-2 fixture (real transformers classes, exported by tools/testmodels/generate_blip2.py)
 * serves the tokens of Python's {@code Blip2ForConditionalGeneration.generate} through real gRPC
 * calls: query tokens in front of the BOS, OPT's learned positions; unary, streamed, and in flight
 * together with other families' requests.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Blip2GoldenParityTest {
  private static final String MODEL = "tiny-blip2";
  private static final List<String> OTHERS = List.of("tiny-llava", "tiny-idefics2");

  private RunningServer server;

  @BeforeAll
  void start() {
    server = RunningServer.serving(Stream.concat(Stream.of(MODEL), OTHERS.stream()).toList());
  }

  @AfterAll
  void stop() throws InterruptedException {
    server.close();
  }

  Stream<Goldens.Case> cases() {
    return Goldens.python(MODEL).stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void matchesPythonGenerate(Goldens.Case golden) {
    GoldenAssertions.assertUnaryMatches(server.channel, golden);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void streamConcatenatesToPython(Goldens.Case golden) {
    GoldenAssertions.assertStreamMatches(server.channel, golden);
  }

  @Test
  void aChatRequestRendersToTheSamePrompt() {
    Goldens.Case golden = cases().filter(c -> c.id().equals("wide_question")).findFirst().orElseThrow();
    GenerateRequest chat = GenerateRequest.newBuilder(golden.request())
        .clearPrompt()
        .clearImages()
        .addMessages(Message.newBuilder().setRole("user")
            .addContent(Content.newBuilder().setImage(Goldens.image("testdata/images/wide_50x30.png")))
            .addContent(Content.newBuilder().setText("what is in the picture?")))
        .build();

    assertThat(InferenceGrpc.newBlockingStub(server.channel).generate(chat).getTokenIdsList()).isEqualTo(golden.tokenIds());
  }

  @Test
  void batchedWithOtherFamiliesStillMatches() throws Exception {
    GoldenAssertions.assertAllAtOnceMatch(
        server.channel, Stream.concat(cases(), OTHERS.stream().flatMap(model -> Goldens.python(model).stream())).toList());
  }

  @Test
  void moreThanOneImageIsInvalid() {
    GenerateRequest request = GrpcAssertions.withImages(MODEL, "testdata/images/wide_50x30.png", 2);

    GrpcAssertions.assertStatus(
        () -> InferenceGrpc.newBlockingStub(server.channel).generate(request), Status.Code.INVALID_ARGUMENT, "at most 1");
  }
}
