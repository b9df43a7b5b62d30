package dev.vlm.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vlm.api.v1.ModelInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Exercises {@link VlmClient#connect} over a real TCP socket. */
class VlmClientSocketTest {
  @Test
  void connectTalksToAServerOnAPortAndStreams() throws Exception {
    try (FakeVlmServer server = FakeVlmServer.onLoopbackSocket()) {
      server.setModels(List.of(ModelInfo.newBuilder().setName("tiny-llava").build()));
      ClientOptions options = ClientOptions.defaults().withTenant("socket-tenant");

      List<String> texts = new ArrayList<>();
      try (VlmClient client = VlmClient.connect("127.0.0.1:" + server.port(), options)) {
        assertThat(client.listModels()).extracting(ModelInfo::getName).containsExactly("tiny-llava");
        try (ResponseStream stream = client.stream(Requests.chat("tiny-llava").user("hi").build())) {
          stream.forEachRemaining(response -> texts.add(response.getText()));
        }
      }

      assertThat(texts).containsExactlyElementsOf(FakeVlmServer.DELTAS);
      assertThat(server.takeCall().tenant()).isEqualTo("socket-tenant");
    }
  }

  @Test
  void unreachableServerIsUnavailable() throws Exception {
    int freePort;
    try (var socket = new java.net.ServerSocket(0)) {
      freePort = socket.getLocalPort();
    }

    try (VlmClient client = VlmClient.connect("127.0.0.1:" + freePort)) {
      assertThatThrownBy(client::listModels)
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    }
  }

  @Test
  void blankTargetIsRejected() {
    assertThatThrownBy(() -> VlmClient.connect(" ")).isInstanceOf(IllegalArgumentException.class);
  }
}
