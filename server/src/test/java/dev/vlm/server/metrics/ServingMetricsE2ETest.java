package dev.vlm.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm.api.v1.Content;
import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.api.v1.Message;
import dev.vlm.api.v1.SamplingParams;
import dev.vlm.server.TestData;
import dev.vlm.server.VlmServer;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.ServerConfig;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The running server publishes per-model serving metrics that a Prometheus scrape reads. */
class ServingMetricsE2ETest {
  @Test
  void requestsShowUpInTheScrape() throws Exception {
    ServerConfig config = ServerConfig.of(0, List.of(new ModelSpec("tiny-llava", TestData.tinyLlava(), Optional.empty())))
        .withMetricsPort(0);
    try (VlmServer server = VlmServer.start(config)) {
      ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
      GenerateRequest request = GenerateRequest.newBuilder()
          .setModel("tiny-llava")
          .addMessages(Message.newBuilder().setRole("user").addContent(Content.newBuilder().setText("Hello there")))
          .setSampling(SamplingParams.newBuilder().setMaxNewTokens(7).setTemperature(0).setIgnoreEos(true))
          .build();
      InferenceGrpc.InferenceBlockingStub stub = InferenceGrpc.newBlockingStub(channel);
      int prompt = stub.generate(request).getUsage().getPromptTokens();
      stub.generate(request);
      channel.shutdownNow();

      Map<String, String> model = Map.of(MetricNames.MODEL_LABEL, "tiny-llava");
      // Gauges follow the loop within a fraction of a second; wait for the idle state.
      Exposition scrape = Exposition.parse(Scrapes.get(server.metricsPort(), MetricsEndpoint.PATH).body());
      for (int i = 0; i < 50 && scrape.value(MetricNames.REQUESTS_RUNNING, model) != 0.0; i++) {
        Thread.sleep(100);
        scrape = Exposition.parse(Scrapes.get(server.metricsPort(), MetricsEndpoint.PATH).body());
      }
      assertThat(scrape.value(MetricNames.GENERATION_TOKENS, model)).isEqualTo(14.0);
      assertThat(scrape.value(MetricNames.PROMPT_TOKENS, model)).isEqualTo(2.0 * prompt);
      assertThat(scrape.value(MetricNames.REQUESTS_RUNNING, model)).isEqualTo(0.0);
      assertThat(scrape.value(MetricNames.REQUESTS_WAITING, model)).isEqualTo(0.0);
      assertThat(scrape.value(MetricNames.KV_CACHE_USAGE, model)).isEqualTo(0.0);
      assertThat(scrape.value(MetricNames.TIME_TO_FIRST_TOKEN + "_count", model)).isEqualTo(2.0);
      assertThat(scrape.value(MetricNames.TIME_PER_OUTPUT_TOKEN + "_count", model)).isEqualTo(12.0);
      // Each request is observed once when it first runs, however many chunks its prompt takes.
      assertThat(scrape.value(MetricNames.REQUEST_QUEUE_TIME + "_count", model)).isEqualTo(2.0);
      assertThat(scrape.value(MetricNames.MODEL_LOADS, model)).isEqualTo(1.0);
    }
  }
}
