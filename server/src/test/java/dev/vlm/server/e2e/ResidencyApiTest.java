package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.GetModelRequest;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.api.v1.LoadModelRequest;
import dev.vlm.api.v1.ModelInfo;
import dev.vlm.api.v1.ModelState;
import dev.vlm.api.v1.ModelsGrpc;
import dev.vlm.api.v1.UnloadModelRequest;
import dev.vlm.server.TestData;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.ResidencySettings;
import dev.vlm.server.config.ServerConfig;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LoadModel, UnloadModel and the failure paths of residency, through gRPC. */
class ResidencyApiTest {
  @TempDir Path temp;

  @Test
  void aModelLargerThanTheWholeBudgetIsResourceExhaustedNamingBothSizes() throws Exception {
    long budget = 1 << 20;
    try (RunningServer server = start(List.of(spec("tiny", TestData.tinyLlava())), budget, Duration.ofSeconds(30))) {
      var models = ModelsGrpc.newBlockingStub(server.channel);
      assertThatThrownBy(() -> models.loadModel(LoadModelRequest.newBuilder().setName("tiny").build()))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
            assertThat(e.getStatus().getDescription()).contains("whole memory budget is " + budget + " bytes")
                .containsPattern("needs \\d{7,} bytes");
          });
      ModelInfo info = models.getModel(GetModelRequest.newBuilder().setName("tiny").build());
      assertThat(info.getState()).isEqualTo(ModelState.MODEL_STATE_FAILED);
      assertThat(info.getError()).contains(Long.toString(budget));
      assertThat(info.getReservedBytes()).isZero();
      assertThatThrownBy(() -> InferenceGrpc.newBlockingStub(server.channel).generate(request("tiny", 2)))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    }
  }

  @Test
  void aFailedLoadIsRetriedOnlyByAnExplicitLoadOrAfterTheBackOff() throws Exception {
    Path broken = TestData.copyOfTinyLlava(temp, "broken");
    Path later = TestData.copyOfTinyLlava(temp, "later");
    Path embed = Path.of("onnx/embed_tokens.onnx");
    for (Path dir : List.of(broken, later)) {
      Files.write(dir.resolve(embed), new byte[] {1, 2, 3});
    }
    Duration backoff = Duration.ofSeconds(2);
    try (RunningServer server = start(List.of(spec("broken", broken), spec("later", later)), 1L << 30, backoff)) {
      var inference = InferenceGrpc.newBlockingStub(server.channel);
      for (String name : List.of("broken", "later")) {
        assertUnavailable(() -> inference.generate(request(name, 2)), "embed_tokens.onnx");
        Files.copy(TestData.tinyLlava().resolve(embed), Path.of(server.server.models().stream()
            .filter(m -> m.name().equals(name)).findFirst().orElseThrow().source()).resolve(embed),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        // Repaired, but within the back-off a request does not retry the load.
        assertUnavailable(() -> inference.generate(request(name, 2)), "embed_tokens.onnx");
      }
      ModelInfo loaded = ModelsGrpc.newBlockingStub(server.channel)
          .loadModel(LoadModelRequest.newBuilder().setName("broken").build());
      assertThat(loaded.getState()).isEqualTo(ModelState.MODEL_STATE_LOADED);
      assertThat(inference.generate(request("broken", 2)).getTokenIdsCount()).isEqualTo(2);

      Thread.sleep(backoff.toMillis() + 200);
      assertThat(inference.generate(request("later", 2)).getTokenIdsCount()).isEqualTo(2);
      assertThat(loads(server, "later")).isEqualTo(1);
    }
  }

  @Test
  void unloadRefusesABusyModelUnlessDrainingAndTheNextRequestLoadsItAgain() throws Exception {
    try (RunningServer server = start(List.of(spec("tiny", TestData.tinyLlava())), 1L << 30, Duration.ofSeconds(30))) {
      var models = ModelsGrpc.newBlockingStub(server.channel);
      var inference = InferenceGrpc.newBlockingStub(server.channel);
      List<Integer> expected = inference.generate(request("tiny", 300)).getTokenIdsList();
      var running = InferenceGrpc.newFutureStub(server.channel).generate(request("tiny", 300));
      LongRequests.awaitModel(server.server, "tiny", m -> m.inFlightRequests() > 0, Duration.ofSeconds(10));

      assertThatThrownBy(() -> models.unloadModel(UnloadModelRequest.newBuilder().setName("tiny").build()))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION));

      ModelInfo unloaded = models.unloadModel(UnloadModelRequest.newBuilder().setName("tiny").setDrain(true).build());
      assertThat(unloaded.getState()).isEqualTo(ModelState.MODEL_STATE_AVAILABLE);
      assertThat(unloaded.getReservedBytes()).isZero();
      GenerateResponse drained = running.get(30, TimeUnit.SECONDS);
      assertThat(drained.getTokenIdsList()).as("the drained request ran to its end").isEqualTo(expected);

      assertThat(inference.generate(request("tiny", 4)).getTokenIdsList()).isEqualTo(expected.subList(0, 4));
      ModelInfo reloaded = models.getModel(GetModelRequest.newBuilder().setName("tiny").build());
      assertThat(reloaded.getState()).isEqualTo(ModelState.MODEL_STATE_LOADED);
      assertThat(reloaded.getReservedBytes()).isPositive();
      assertThat(loads(server, "tiny")).isEqualTo(2);
    }
  }

  @Test
  void concurrentRequestsForAColdModelShareOneLoad() throws Exception {
    try (RunningServer server = start(List.of(spec("tiny", TestData.tinyLlava())), 1L << 30, Duration.ofSeconds(30))) {
      List<com.google.common.util.concurrent.ListenableFuture<GenerateResponse>> responses = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        responses.add(InferenceGrpc.newFutureStub(server.channel).generate(request("tiny", 3)));
      }
      for (var response : responses) {
        assertThat(response.get(30, TimeUnit.SECONDS).getTokenIdsCount()).isEqualTo(3);
      }
      assertThat(loads(server, "tiny")).isEqualTo(1);
      ModelInfo info = ModelsGrpc.newBlockingStub(server.channel).getModel(GetModelRequest.newBuilder().setName("tiny").build());
      assertThat(info.getLastLoadMillis()).isPositive();
    }
  }

  private static void assertUnavailable(Runnable call, String reason) {
    GrpcAssertions.assertStatus(call::run, Status.Code.UNAVAILABLE, reason);
  }

  private static RunningServer start(List<ModelSpec> specs, long budget, Duration backoff) {
    return RunningServer.start(ServerConfig.of(0, specs).withMetricsPort(0)
        .withResidency(new ResidencySettings(budget, backoff, Duration.ofSeconds(10))));
  }

  private static ModelSpec spec(String name, Path dir) {
    return new ModelSpec(name, dir, Optional.empty(), 0, 2, 0, Optional.empty(), false);
  }

  private static dev.vlm.api.v1.GenerateRequest request(String model, int tokens) {
    return LongRequests.ofTokens(tokens).toBuilder().setModel(model).build();
  }

  private static long loads(RunningServer server, String model) throws IOException, InterruptedException {
    String body = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.server.metricsPort() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    Matcher m = Pattern.compile("vlm:model_loads_total\\{model_name=\"" + Pattern.quote(model) + "\"} (\\S+)").matcher(body);
    return m.find() ? (long) Double.parseDouble(m.group(1)) : 0;
  }
}
