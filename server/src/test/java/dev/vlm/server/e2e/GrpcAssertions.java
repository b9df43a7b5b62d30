package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vlm.api.v1.Content;
import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.Message;
import dev.vlm.api.v1.SamplingParams;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/** Asserting the gRPC status a call ends with, and requests built to draw one. */
final class GrpcAssertions {
  private GrpcAssertions() {}

  /** Asserts that {@code call} fails with {@code code} and a description naming every one of {@code mentions}. */
  static void assertStatus(ThrowingCallable call, Status.Code code, String... mentions) {
    assertThatThrownBy(call).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(code);
      assertThat(e.getStatus().getDescription()).contains(mentions);
    });
  }

  /** A two-token greedy chat request to {@code model}: {@code count} copies of one image, then a question. */
  static GenerateRequest withImages(String model, String repoRelativeImage, int count) {
    Message.Builder message = Message.newBuilder().setRole("user");
    for (int i = 0; i < count; i++) {
      message.addContent(Content.newBuilder().setImage(Goldens.image(repoRelativeImage)));
    }
    return GenerateRequest.newBuilder()
        .setModel(model)
        .addMessages(message.addContent(Content.newBuilder().setText("Compare.")))
        .setSampling(SamplingParams.newBuilder().setMaxNewTokens(2).setTemperature(0f))
        .build();
  }
}
