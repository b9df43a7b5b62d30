package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.vlm.api.v1.Content;
import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.Image;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.api.v1.ListModelsRequest;
import dev.vlm.api.v1.Message;
import dev.vlm.api.v1.ModelsGrpc;
import dev.vlm.api.v1.SamplingParams;
import io.grpc.Status;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Idefics2 fixture (real transformers classes, exported by tools/testmodels/generate_idefics2.py)
 * serves the tokens of Python's {@code Idefics2ForConditionalGeneration.generate} through real
 * gRPC calls: split frames of their own sizes, two images in one turn and across turns, text
 * only; unary, streamed, and in flight together with other families' requests.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Idefics2GoldenParityTest {
  private static final String MODEL = "tiny-idefics2";
  private static final List<String> OTHERS = List.of("tiny-idefics3", "tiny-llava", "tiny-qwen2-vl");

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

  @Test
  void theDirectoryIsServedByTheIdefics2Family() {
    InferenceGrpc.newBlockingStub(server.channel).generate(cases().toList().getLast().request()); // loads it
    var models = ModelsGrpc.newBlockingStub(server.channel).listModels(ListModelsRequest.getDefaultInstance());

    assertThat(models.getModelsList()).anySatisfy(m -> {
      assertThat(m.getName()).isEqualTo(MODEL);
      assertThat(m.getFamily()).isEqualTo("idefics2");
    });
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
  void batchedWithOtherFamiliesStillMatches() throws Exception {
    // Idefics2's cases batch with each other in its loop while the other models' loops run too.
    GoldenAssertions.assertAllAtOnceMatch(
        server.channel, Stream.concat(cases(), OTHERS.stream().flatMap(model -> Goldens.python(model).stream())).toList());
  }

  @Test
  void moreImagesThanTheFamilyTakesAreInvalid() {
    GenerateRequest request = GrpcAssertions.withImages(MODEL, "testdata/images/wide_50x30.png", 6);

    GrpcAssertions.assertStatus(
        () -> InferenceGrpc.newBlockingStub(server.channel).generate(request), Status.Code.INVALID_ARGUMENT, "at most 5");
  }

  @Test
  void anImageWithoutQuartersIsInvalid() throws IOException {
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    ImageIO.write(new BufferedImage(40, 1, BufferedImage.TYPE_INT_RGB), "png", png);
    Image line = Image.newBuilder().setData(ByteString.copyFrom(png.toByteArray())).build();
    GenerateRequest request = GenerateRequest.newBuilder()
        .setModel(MODEL)
        .addMessages(Message.newBuilder().setRole("user")
            .addContent(Content.newBuilder().setImage(line))
            .addContent(Content.newBuilder().setText("What is it?")))
        .setSampling(SamplingParams.newBuilder().setMaxNewTokens(2).setTemperature(0f))
        .build();

    GrpcAssertions.assertStatus(
        () -> InferenceGrpc.newBlockingStub(server.channel).generate(request), Status.Code.INVALID_ARGUMENT, "quarters");
  }

}
