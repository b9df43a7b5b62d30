package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm.api.v1.Content;
import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.api.v1.Message;
import io.grpc.Status;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The BLIP-2 fixture (real transformers classes, exported by tools/testmodels/generate_blip2.py)
 * serves the tokens of Python's {@code Blip2ForConditionalGeneration.generate} through real gRPC
 * calls: query tokens in front of the BOS, OPT's learned positions; unary, streamed, and in flight
 * together with other families' requests.
 */
class Blip2GoldenParityTest extends PythonFamilyParity {
  private static final String MODEL = "tiny-blip2";

  Blip2GoldenParityTest() {
    super(MODEL, List.of("tiny-llava", "tiny-idefics2"));
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
  void moreThanOneImageIsInvalid() {
    GenerateRequest request = GrpcAssertions.withImages(MODEL, "testdata/images/wide_50x30.png", 2);

    GrpcAssertions.assertStatus(
        () -> InferenceGrpc.newBlockingStub(server.channel).generate(request), Status.Code.INVALID_ARGUMENT, "at most 1");
  }
}
