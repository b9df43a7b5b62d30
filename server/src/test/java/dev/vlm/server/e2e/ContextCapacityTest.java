package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.LoadModelRequest;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.api.v1.ModelInfo;
import dev.vlm.api.v1.ModelsGrpc;
import dev.vlm.api.v1.SamplingParams;
import dev.vlm.server.TestData;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.ServerConfig;
import io.grpc.Status;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Admission uses what the decoder can really hold: an in-place export whose shared buffer
 * ({@code genai_config.json}'s context_length) is shorter than the model's positions, or a
 * configured {@code max_context_tokens}, bounds the context; a request that does not fit is
 * refused before it runs.
 */
class ContextCapacityTest {
  @TempDir Path dir;

  @Test
  void theInPlaceBufferBoundsTheContext() throws Exception {
    Path model = TestData.copyOf("tiny-llava-gqa", dir, "short-buffer");
    ObjectMapper json = new ObjectMapper();
    ObjectNode genai = (ObjectNode) json.readTree(model.resolve("genai_config.json").toFile());
    ((ObjectNode) genai.get("model")).put("context_length", 96);
    json.writeValue(model.resolve("genai_config.json").toFile(), genai);
    // The export's buffer (96) is shorter than config.json's max_position_embeddings (512) and the configured 300.
    ModelSpec spec = new ModelSpec("short", model, Optional.empty(), 300, 4, 0, Optional.empty(), true);

    try (RunningServer server = RunningServer.start(ServerConfig.of(0, List.of(spec)))) {
      ModelInfo info = ModelsGrpc.newBlockingStub(server.channel).loadModel(LoadModelRequest.newBuilder().setName("short").build());
      assertThat(info.getMaxContextTokens()).isEqualTo(96);
      InferenceGrpc.InferenceBlockingStub stub = InferenceGrpc.newBlockingStub(server.channel);

      GrpcAssertions.assertStatus(() -> stub.generate(request(90)), Status.Code.INVALID_ARGUMENT, "96");
      GenerateResponse fits = stub.generate(request(20));
      assertThat(fits.getTokenIdsCount()).isPositive();
    }
  }

  @Test
  void maxContextTokensSizesTheArena() throws Exception {
    ModelSpec small = new ModelSpec("small", TestData.root().resolve("models/tiny-llava-gqa"), Optional.empty(),
        64, 4, 0, Optional.empty(), true);
    ModelSpec full = new ModelSpec("full", TestData.root().resolve("models/tiny-llava-gqa"), Optional.empty(),
        0, 4, 0, Optional.empty(), true);

    try (RunningServer server = RunningServer.start(ServerConfig.of(0, List.of(small, full)))) {
      ModelsGrpc.ModelsBlockingStub models = ModelsGrpc.newBlockingStub(server.channel);
      ModelInfo smallInfo = models.loadModel(LoadModelRequest.newBuilder().setName("small").build());
      ModelInfo fullInfo = models.loadModel(LoadModelRequest.newBuilder().setName("full").build());
      assertThat(smallInfo.getMaxContextTokens()).isEqualTo(64);
      assertThat(fullInfo.getMaxContextTokens()).isEqualTo(512);
      // The arena, the bulk of a tiny model's reservation, holds 64 positions per sequence, not 512.
      assertThat(smallInfo.getReservedBytes()).isLessThan(fullInfo.getReservedBytes());
      GrpcAssertions.assertStatus(() -> InferenceGrpc.newBlockingStub(server.channel)
          .generate(request(70).toBuilder().setModel("small").build()), Status.Code.INVALID_ARGUMENT, "64");
    }
  }

  private static GenerateRequest request(int maxNewTokens) {
    return GenerateRequest.newBuilder()
        .setModel("short")
        .setPrompt("USER: hello there ASSISTANT:")
        .setSampling(SamplingParams.newBuilder().setMaxNewTokens(maxNewTokens).setTemperature(0f))
        .build();
  }
}
