package dev.vlm.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The text other endpoints serve as {@code /metrics} is the registry's, series included. */
class PrometheusTextTest {
  @Test
  void writesEveryFamilyWithItsSeries() throws Exception {
    ServerMetrics metrics = new ServerMetrics();
    metrics.forModel("m").setWaiting(2);
    metrics.forModel("m").setKvUtilization(0.25);
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    metrics.writePrometheusText(out);

    String text = out.toString(StandardCharsets.UTF_8);
    assertThat(text).contains("vlm:num_requests_waiting{model_name=\"m\"} 2");
    assertThat(text).contains("vlm:kv_cache_usage_perc{model_name=\"m\"} 0.25");
    assertThat(ServerMetrics.prometheusTextContentType()).startsWith("text/plain");
  }

  @Test
  void podTotalsAndResidentModelsAreComputedAtScrapeTime() throws Exception {
    ServerMetrics metrics = new ServerMetrics();
    metrics.forModel("a").setWaiting(2);
    metrics.forModel("a").setKvUtilization(0.5);
    metrics.forModel("b").setWaiting(3);
    metrics.forModel("b").setRunning(4);
    metrics.forModel("b").setKvUtilization(0.75);
    metrics.residentModels(() -> new ResidentModels(java.util.List.of("a", "b"), java.util.List.of("c"), 3));
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    metrics.writePrometheusText(out);

    String text = out.toString(StandardCharsets.UTF_8);
    assertThat(text).contains("vlm:server_num_requests_waiting 5.0", "vlm:server_num_requests_running 4.0",
        "vlm:server_kv_cache_usage_perc 0.75",
        "vlm:lora_requests_info{max_lora=\"3\",running_lora_adapters=\"a,b\",waiting_lora_adapters=\"c\"}");
  }
}
