package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.vlm.api.v1.Content;
import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.Image;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.api.v1.LoadModelRequest;
import dev.vlm.api.v1.Message;
import dev.vlm.api.v1.ModelsGrpc;
import dev.vlm.api.v1.SamplingParams;
import io.grpc.CallOptions;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The inputs a first fuzz run found to break the server, each answered with INVALID_ARGUMENT
 * (or NOT_FOUND) naming the limit, with the server serving normally afterwards.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileInputTest {
  private static final List<String> MODELS = List.of("tiny-llava", "tiny-qwen2-vl", "tiny-qwen2.5-vl", "tiny-lfm2-vl");

  private RunningServer server;
  private InferenceGrpc.InferenceBlockingStub stub;

  @BeforeAll
  void start() {
    server = RunningServer.serving(MODELS);
    stub = InferenceGrpc.newBlockingStub(server.channel).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  @AfterAll
  void stop() throws InterruptedException {
    server.close();
  }

  @AfterEach
  void everyModelStillServes() {
    for (String model : MODELS) {
      GenerateResponse ok = stub.generate(request(model, HostileImages.grayPng(40, 30)));
      assertThat(ok.getTokenIdsCount()).isEqualTo(2);
    }
  }

  @Test
  void aTenMillionPixelWideLineIsRefusedBeforeResizingAllocates() {
    byte[] line = HostileImages.grayPng(10_000_000, 1);
    assertThat(line.length).isLessThan(64 * 1024);
    long started = System.nanoTime();
    GrpcAssertions.assertStatus(() -> stub.generate(request("tiny-llava", line)), Status.Code.INVALID_ARGUMENT,
        "messages[0].content[0].image", "10000000x1", "pixels");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
  }

  @Test
  void qwenImagesOfExtremeAspectRatioAreInvalid() {
    for (String model : List.of("tiny-qwen2-vl", "tiny-qwen2.5-vl")) {
      GrpcAssertions.assertStatus(() -> stub.generate(request(model, HostileImages.grayPng(300, 1))),
          Status.Code.INVALID_ARGUMENT, "messages[0].content[0].image", "aspect ratio", "200");
      GrpcAssertions.assertStatus(() -> stub.generate(request(model, HostileImages.grayPng(1, 300))),
          Status.Code.INVALID_ARGUMENT, "messages[0].content[0].image", "aspect ratio", "200");
    }
  }

  @Test
  void lfm2ImagesOfExtremeShapeAreInvalid() {
    for (int[] size : new int[][] {{300, 1}, {1, 300}, {7, 3001}, {3001, 7}}) {
      assertThatThrownBy(() -> stub.generate(request("tiny-lfm2-vl", HostileImages.grayPng(size[0], size[1]))))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).as("%dx%d", size[0], size[1]).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(e.getStatus().getDescription()).contains("messages[0].content[0].image")
                .containsAnyOf("aspect ratio", "max_num_patches");
          });
    }
  }

  @Test
  void aHugeModelNameGetsABoundedStatusAndTheConnectionStaysUsable() {
    String name = "m".repeat(70_000);
    GrpcAssertions.assertStatus(() -> stub.generate(request(name, HostileImages.grayPng(8, 8))),
        Status.Code.INVALID_ARGUMENT, "model", "70000 characters");
    ModelsGrpc.ModelsBlockingStub models = ModelsGrpc.newBlockingStub(server.channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    assertThatThrownBy(() -> models.loadModel(LoadModelRequest.newBuilder().setName(name).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
          assertThat(e.getStatus().getDescription()).hasSizeLessThan(1000).contains("70000 characters");
        });
  }

  @Test
  void overlongRequestIdsAndRolesAreInvalid() {
    GrpcAssertions.assertStatus(
        () -> stub.generate(request("tiny-llava", HostileImages.grayPng(8, 8)).toBuilder()
            .setRequestId("r".repeat(2000)).build()),
        Status.Code.INVALID_ARGUMENT, "request_id", "at most 1024");
    GenerateRequest longRole = request("tiny-llava", HostileImages.grayPng(8, 8));
    GenerateRequest.Builder b = longRole.toBuilder();
    b.setMessages(0, b.getMessages(0).toBuilder().setRole("u".repeat(300)));
    GrpcAssertions.assertStatus(() -> stub.generate(b.build()), Status.Code.INVALID_ARGUMENT, "messages[0].role");
  }

  @Test
  void malformedProtobufIsInvalidArgumentNotUnknown() {
    byte[] valid = request("tiny-llava", HostileImages.grayPng(8, 8)).toByteArray();
    // Field 1 (model) holding bytes that are not UTF-8.
    byte[] badUtf8 = {0x0a, 0x02, (byte) 0xff, (byte) 0xfe};
    byte[] truncated = Arrays.copyOf(valid, valid.length - 5);
    // 200 nested unknown groups (field 99), past protobuf's recursion limit of 100.
    ByteArrayOutputStream deep = new ByteArrayOutputStream();
    int startGroup = (99 << 3) | 3;
    for (int i = 0; i < 200; i++) {
      deep.write((startGroup & 0x7f) | 0x80);
      deep.write(startGroup >>> 7);
    }
    for (byte[] body : List.of(badUtf8, truncated, deep.toByteArray())) {
      assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(
              server.channel, RAW_GENERATE, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), body))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(e.getStatus().getDescription()).contains("not a valid protobuf message");
          });
    }
  }

  static final MethodDescriptor<byte[], byte[]> RAW_GENERATE =
      InferenceGrpc.getGenerateMethod().toBuilder(BytesMarshaller.INSTANCE, BytesMarshaller.INSTANCE).build();

  /** Sends bytes as they are: the client cannot build the malformed messages otherwise. */
  enum BytesMarshaller implements MethodDescriptor.Marshaller<byte[]> {
    INSTANCE;

    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private static GenerateRequest request(String model, byte[] image) {
    return GenerateRequest.newBuilder()
        .setModel(model)
        .addMessages(Message.newBuilder().setRole("user")
            .addContent(Content.newBuilder().setImage(Image.newBuilder().setData(ByteString.copyFrom(image))))
            .addContent(Content.newBuilder().setText("What is this?")))
        .setSampling(SamplingParams.newBuilder().setMaxNewTokens(2).setTemperature(0f).setIgnoreEos(true))
        .build();
  }
}
