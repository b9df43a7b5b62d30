package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.GetModelRequest;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.api.v1.LoadModelRequest;
import dev.vlm.api.v1.ModelInfo;
import dev.vlm.api.v1.ModelState;
import dev.vlm.api.v1.ModelsGrpc;
import dev.vlm.server.TestData;
import dev.vlm.server.config.ConfigLoader;
import dev.vlm.server.config.ServerConfig;
import dev.vlm.server.hub.FakeHub;
import dev.vlm.server.hub.ModelPuller;
import dev.vlm.server.hub.PullListener;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model from the (fake) Hub end to end: {@code pull} into a fresh cache, then a real server
 * started with {@code --model NAME=hf:ORG/REPO} serves it over gRPC with the transformers.js
 * goldens' tokens, without touching the Hub again; offline by default; pulled on load with
 * {@code residency.allow_download}, its progress visible in {@code GetModel}.
 */
class HubServeTest {
  private static final String REPO = "test-org/tiny-llava";

  @TempDir Path cache;
  private FakeHub hub;
  private Map<String, String> env;

  @BeforeEach
  void start() throws Exception {
    hub = FakeHub.start();
    hub.addRepo(REPO, TestData.tinyLlava(), Map.of("README.md", "# tiny".getBytes()));
    env = Map.of("HF_HUB_CACHE", cache.toString(), "HF_ENDPOINT", hub.endpoint().toString());
  }

  @AfterEach
  void stop() {
    hub.close();
  }

  @Test
  void pulledModelServesFromTheCacheWithGoldenTokens() throws Exception {
    var pull = (ConfigLoader.Outcome.Pull) ConfigLoader.load(new String[] {"pull", REPO}, env, cache);
    new ModelPuller(pull.hub()).pull(pull.source(), pull.weights(), PullListener.NONE);
    hub.clearLog();

    try (RunningServer server = RunningServer.start(serverConfig("--model", "tiny-llava=hf:" + REPO))) {
      for (Goldens.Case golden : Goldens.load("tiny-llava.json", "tiny-llava")) {
        GenerateResponse response = InferenceGrpc.newBlockingStub(server.channel).generate(golden.request());
        assertThat(response.getTokenIdsList()).as(golden.id()).isEqualTo(golden.tokenIds());
        assertThat(response.getText()).as(golden.id()).isEqualTo(golden.text());
      }
      ModelInfo info = models(server).getModel(GetModelRequest.newBuilder().setName("tiny-llava").build());
      assertThat(info.getSource()).isEqualTo("hf:" + REPO);
      assertThat(info.getDownloadTotalBytes()).isZero();
    }
    assertThat(hub.requests()).isEmpty();
  }

  @Test
  void aDtypePulledIsWhatTheServerOpensForThatDtype() throws Exception {
    var pull = (ConfigLoader.Outcome.Pull) ConfigLoader.load(new String[] {"pull", REPO, "--dtype", "q4"}, env, cache);
    new ModelPuller(pull.hub()).pull(pull.source(), pull.weights(), PullListener.NONE);
    hub.close(); // serving must not need the Hub

    try (RunningServer server = RunningServer.start(
        serverConfig("--model", "tiny-llava=hf:" + REPO, "--dtype", "tiny-llava=q4"))) {
      for (Goldens.Case golden : Goldens.load("tiny-llava.q4.json", "tiny-llava")) {
        GenerateResponse response = InferenceGrpc.newBlockingStub(server.channel).generate(golden.request());
        assertThat(response.getTokenIdsList()).as(golden.id()).isEqualTo(golden.tokenIds());
      }
    }
  }

  @Test
  void anUncachedModelIsFailedSayingHowToPullIt() throws Exception {
    try (RunningServer server = RunningServer.start(serverConfig("--model", "tiny-llava=hf:" + REPO))) {
      ModelInfo info = models(server).getModel(GetModelRequest.newBuilder().setName("tiny-llava").build());
      assertThat(info.getState()).isEqualTo(ModelState.MODEL_STATE_FAILED);
      assertThat(info.getError()).contains("hf:" + REPO + " (dtype fp32) is not in the Hugging Face cache at " + cache)
          .contains("vlm-server pull " + REPO + " --dtype fp32");
      GrpcAssertions.assertStatus(
          () -> InferenceGrpc.newBlockingStub(server.channel).generate(Goldens.load("tiny-llava.json", "tiny-llava")
              .get(0).request()),
          Status.Code.UNAVAILABLE, "vlm-server pull");
    }
    assertThat(hub.requests()).isEmpty();
  }

  @Test
  void allowDownloadPullsOnLoadAndGetModelShowsTheProgress() throws Exception {
    Path config = Files.writeString(cache.resolve("server.yaml"), "residency:\n  allow_download: true\n");
    hub.throttle(TimeUnit.MILLISECONDS.toNanos(150)); // slow enough to watch the pull
    try (RunningServer server = RunningServer.start(
        serverConfig("--config", config.toString(), "--model", "tiny-llava=hf:" + REPO))) {
      var models = models(server);
      assertThat(models.getModel(GetModelRequest.newBuilder().setName("tiny-llava").build()).getState())
          .isEqualTo(ModelState.MODEL_STATE_AVAILABLE);
      var loading = ModelsGrpc.newFutureStub(server.channel).loadModel(LoadModelRequest.newBuilder().setName("tiny-llava").build());
      ModelInfo during = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!loading.isDone() && System.nanoTime() < deadline) {
        ModelInfo now = models.getModel(GetModelRequest.newBuilder().setName("tiny-llava").build());
        if (now.getState() == ModelState.MODEL_STATE_LOADING && now.getDownloadDoneBytes() > 0) {
          during = now;
          break;
        }
        Thread.sleep(20);
      }
      assertThat(during).as("a GetModel while the pull ran").isNotNull();
      long total = Files.size(TestData.tinyLlava().resolve("onnx/decoder_model_merged.onnx_data"));
      assertThat(during.getDownloadTotalBytes()).isGreaterThan(total);
      assertThat(during.getDownloadDoneBytes()).isLessThanOrEqualTo(during.getDownloadTotalBytes());

      ModelInfo loaded = loading.get(120, TimeUnit.SECONDS);
      assertThat(loaded.getState()).isEqualTo(ModelState.MODEL_STATE_LOADED);
      assertThat(loaded.getDownloadTotalBytes()).isZero();
      Goldens.Case golden = Goldens.load("tiny-llava.json", "tiny-llava").get(0);
      assertThat(InferenceGrpc.newBlockingStub(server.channel).generate(golden.request()).getTokenIdsList())
          .isEqualTo(golden.tokenIds());
    }
    assertThat(cache.resolve("models--test-org--tiny-llava/refs/main")).exists();
  }

  private ServerConfig serverConfig(String... flags) {
    List<String> args = new java.util.ArrayList<>(List.of(flags));
    args.addAll(List.of("--port", "0", "--metrics-port", "-1"));
    return ((ConfigLoader.Outcome.Run) ConfigLoader.load(args.toArray(String[]::new), env, cache)).config();
  }

  private static ModelsGrpc.ModelsBlockingStub models(RunningServer server) {
    return ModelsGrpc.newBlockingStub(server.channel);
  }
}
