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
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * The Idefics2 fixture (real transformers classes, exported by tools/testmodels/generate_idefics2.py)
 * serves the tokens of Python's {@code Idefics2ForConditionalGeneration.generate} through real
 * gRPC calls: split frames of their own sizes, two images in one turn and across turns, text
 * only; unary, streamed, and in flight together with other families' requests.
 */
class Idefics2GoldenParityTest extends PythonFamilyParity {
  private static final String MODEL = "tiny-idefics2";

  Idefics2GoldenParityTest() {
    super(MODEL, List.of("tiny-idefics3", "tiny-llava", "tiny-qwen2-vl"));
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
