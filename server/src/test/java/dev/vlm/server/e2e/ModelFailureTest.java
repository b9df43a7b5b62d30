package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vlm.api.v1.GetModelRequest;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.api.v1.ListModelsRequest;
import dev.vlm.api.v1.LoadModelRequest;
import dev.vlm.api.v1.ModelInfo;
import dev.vlm.api.v1.ModelState;
import dev.vlm.api.v1.ModelsGrpc;
import dev.vlm.server.TestData;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.ServerConfig;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Model directories that cannot load are listed FAILED with the reason; the others serve. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ModelFailureTest {
  @TempDir static Path temp;
  private RunningServer server;

  @BeforeAll
  void start() throws Exception {
    Path noDecoder = TestData.copyOfTinyLlava(temp, "no-decoder");
    Files.delete(noDecoder.resolve("onnx/decoder_model_merged.onnx"));
    Path unsupported = TestData.copyOfTinyLlava(temp, "unsupported");
    Files.writeString(unsupported.resolve("config.json"),
        Files.readString(unsupported.resolve("config.json")).replace("\"model_type\": \"llava\"", "\"model_type\": \"mllama\""));
    Path corrupt = TestData.copyOfTinyLlava(temp, "corrupt");
    Files.write(corrupt.resolve("onnx/embed_tokens.onnx"), new byte[] {1, 2, 3, 4});

    server = RunningServer.start(ServerConfig.of(0, List.of(
        new ModelSpec("good", TestData.tinyLlava(), Optional.empty()),
        new ModelSpec("missing-dir", temp.resolve("does-not-exist"), Optional.empty()),
        new ModelSpec("no-decoder", noDecoder, Optional.empty()),
        new ModelSpec("unsupported", unsupported, Optional.empty()),
        new ModelSpec("corrupt", corrupt, Optional.empty()))));
    // Models load on demand: warm the two whose directories pass inspection.
    var models = ModelsGrpc.newBlockingStub(server.channel);
    models.loadModel(LoadModelRequest.newBuilder().setName("good").build());
    assertThatThrownBy(() -> models.loadModel(LoadModelRequest.newBuilder().setName("corrupt").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    for (String name : List.of("good", "corrupt")) {
      LongRequests.awaitModel(server.server, name,
          m -> m.state() != dev.vlm.server.serving.ModelState.LOADING
              && m.state() != dev.vlm.server.serving.ModelState.AVAILABLE, Duration.ofSeconds(30));
    }
  }

  @AfterAll
  void stop() throws InterruptedException {
    server.close();
  }

  @Test
  void listsEachFailureWithItsReason() {
    Map<String, ModelInfo> models =
        ModelsGrpc.newBlockingStub(server.channel).listModels(ListModelsRequest.getDefaultInstance())
            .getModelsList().stream().collect(Collectors.toMap(ModelInfo::getName, m -> m));

    assertThat(models.get("good").getState()).isEqualTo(ModelState.MODEL_STATE_LOADED);
    assertThat(models.get("good").getReservedBytes()).isPositive();
    assertThat(models.get("good").getFamily()).isEqualTo("llava");
    assertFailed(models.get("missing-dir"), "does-not-exist", "does not exist");
    assertFailed(models.get("no-decoder"), "onnx/decoder_model_merged.onnx");
    assertFailed(models.get("unsupported"), "mllama", "supported families", "llava");
    assertFailed(models.get("corrupt"), "onnx/embed_tokens.onnx");
  }

  @Test
  void requestsToAFailedModelAreUnavailableWithTheReason() {
    GrpcAssertions.assertStatus(() -> InferenceGrpc.newBlockingStub(server.channel).generate(
            LongRequests.ofTokens(2).toBuilder().setModel("no-decoder").build()),
        Status.Code.UNAVAILABLE, "decoder_model_merged.onnx");
  }

  @Test
  void theGoodModelServes() {
    var response = InferenceGrpc.newBlockingStub(server.channel).generate(
        LongRequests.ofTokens(4).toBuilder().setModel("good").build());
    assertThat(response.getTokenIdsCount()).isEqualTo(4);
  }

  @Test
  void getModelOfAnUnknownNameIsNotFound() {
    assertThatThrownBy(() -> ModelsGrpc.newBlockingStub(server.channel).getModel(
            GetModelRequest.newBuilder().setName("nope").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
  }

  private static void assertFailed(ModelInfo model, String... reasons) {
    assertThat(model.getState()).isEqualTo(ModelState.MODEL_STATE_FAILED);
    assertThat(model.getError()).contains(reasons);
  }
}
