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
}
