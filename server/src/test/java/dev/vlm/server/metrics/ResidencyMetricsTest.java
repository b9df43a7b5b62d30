package dev.vlm.server.metrics;

import static dev.vlm.server.metrics.MetricNames.MODEL_LABEL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Loads, failures, evictions, load time and resident bytes, per model. */
class ResidencyMetricsTest {
  private static final Map<String, String> A = Map.of(MODEL_LABEL, "a");
  private static final Map<String, String> B = Map.of(MODEL_LABEL, "b");

  @Test
  void recordsLoadsEvictionsAndMemoryPerModel() throws Exception {
    ServerMetrics metrics = new ServerMetrics();
    ResidencyMetrics residency = metrics.residency();
    residency.loaded("a", Duration.ofSeconds(3));
    residency.loaded("a", Duration.ofMillis(200));
    residency.loadFailed("b");
    residency.evicted("a");
    residency.setResidentBytes("a", 5L << 30);
    residency.setResidentBytes("b", 1000);
    residency.setResidentBytes("b", 0);

    Exposition scrape = Scrapes.scrape(metrics);

    assertThat(scrape.type(MetricNames.MODEL_LOAD_TIME)).isEqualTo("histogram");
    assertThat(scrape.value(MetricNames.MODEL_LOADS, A)).isEqualTo(2);
    assertThat(scrape.has(MetricNames.MODEL_LOADS, B)).isFalse();
    assertThat(scrape.value(MetricNames.MODEL_LOAD_FAILURES, B)).isEqualTo(1);
    assertThat(scrape.value(MetricNames.MODEL_EVICTIONS, A)).isEqualTo(1);
    assertThat(scrape.value(MetricNames.MODEL_LOAD_TIME + "_count", A)).isEqualTo(2);
    assertThat(scrape.value(MetricNames.MODEL_LOAD_TIME + "_sum", A)).isCloseTo(3.2, within(1e-9));
    assertThat(scrape.buckets(MetricNames.MODEL_LOAD_TIME, A))
        .containsEntry(0.1, 0.0)
        .containsEntry(0.25, 1.0)
        .containsEntry(2.5, 1.0)
        .containsEntry(5.0, 2.0)
        .containsEntry(600.0, 2.0);
    assertThat(scrape.value(MetricNames.MODEL_RESIDENT_BYTES, A)).isEqualTo(5.0 * (1L << 30));
    assertThat(scrape.value(MetricNames.MODEL_RESIDENT_BYTES, B)).isZero();
  }

  @Test
  void rejectsBadInputAndRecordsNothing() throws Exception {
    ServerMetrics metrics = new ServerMetrics();
    ResidencyMetrics residency = metrics.residency();

    assertThatThrownBy(() -> residency.loaded("a", Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("loadTime");
    assertThatThrownBy(() -> residency.loaded("", Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> residency.setResidentBytes("a", -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("resident bytes");
    assertThatThrownBy(() -> residency.evicted(null)).isInstanceOf(NullPointerException.class);

    Exposition scrape = Scrapes.scrape(metrics);
    assertThat(scrape.samples(MetricNames.MODEL_LOADS)).isEmpty();
    assertThat(scrape.samples(MetricNames.MODEL_LOAD_TIME + "_count")).isEmpty();
    assertThat(scrape.samples(MetricNames.MODEL_RESIDENT_BYTES)).isEmpty();
  }
}
