package dev.vlm.server.metrics;

import static dev.vlm.server.metrics.MetricNames.MODEL_LABEL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Per-model views: identity, series at zero, isolation, and rejected input that records nothing. */
class ModelMetricsTest {
  private static final Map<String, String> MODEL = Map.of(MODEL_LABEL, "m");

  @Test
  void theSameNameGivesTheSameView() {
    ServerMetrics metrics = new ServerMetrics();

    assertThat(metrics.forModel("m")).isSameAs(metrics.forModel("m"));
    assertThat(metrics.forModel("m").modelName()).isEqualTo("m");
    assertThat(metrics.forModel("other")).isNotSameAs(metrics.forModel("m"));
  }

  @Test
  void aModelWithNoTrafficShowsZeroesSoAGatewaySeesIt() throws Exception {
    ServerMetrics metrics = new ServerMetrics();
    metrics.forModel("idle");

    Exposition scrape = Scrapes.scrape(metrics);

    Map<String, String> idle = Map.of(MODEL_LABEL, "idle");
    assertThat(scrape.value(MetricNames.REQUESTS_WAITING, idle)).isZero();
    assertThat(scrape.value(MetricNames.REQUESTS_RUNNING, idle)).isZero();
    assertThat(scrape.value(MetricNames.KV_CACHE_USAGE, idle)).isZero();
    assertThat(scrape.value(MetricNames.PREEMPTIONS, idle)).isZero();
    assertThat(scrape.value(MetricNames.E2E_REQUEST_LATENCY + "_count", idle)).isZero();
  }

  @Test
  void twoServerMetricsShareNothing() throws Exception {
    ServerMetrics first = new ServerMetrics();
    ServerMetrics second = new ServerMetrics();
    first.forModel("m").setWaiting(4);

    assertThat(Scrapes.scrape(first).value(MetricNames.REQUESTS_WAITING, MODEL)).isEqualTo(4);
    assertThat(Scrapes.scrape(second).has(MetricNames.REQUESTS_WAITING, MODEL)).isFalse();
  }

  @Test
  void gaugesHoldTheLastValueSet() throws Exception {
    ServerMetrics metrics = new ServerMetrics();
    ModelMetrics model = metrics.forModel("m");
    model.setWaiting(9);
    model.setWaiting(3);
    model.setKvUtilization(1.0);
    model.setKvUtilization(0.5);

    Exposition scrape = Scrapes.scrape(metrics);

    assertThat(scrape.value(MetricNames.REQUESTS_WAITING, MODEL)).isEqualTo(3);
    assertThat(scrape.value(MetricNames.KV_CACHE_USAGE, MODEL)).isEqualTo(0.5);
  }

  @Test
  void rejectedInputNamesTheProblemAndRecordsNothing() throws Exception {
    ServerMetrics metrics = new ServerMetrics();
    ModelMetrics model = metrics.forModel("m");
    model.setKvUtilization(0.25);
    model.setWaiting(2);
    Duration negative = Duration.ofMillis(-1);

    assertThatThrownBy(() -> model.firstToken(negative))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("sinceArrival");
    assertThatThrownBy(() -> model.outputToken(negative)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> model.requestStarted(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> model.requestFinished("eos", Duration.ofSeconds(1), -1, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("promptTokens");
    assertThatThrownBy(() -> model.requestFinished(" ", Duration.ofSeconds(1), 1, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("finishedReason");
    assertThatThrownBy(() -> model.aborted("")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> model.setWaiting(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> model.setRunning(-1)).isInstanceOf(IllegalArgumentException.class);
    for (double bad : new double[] {-0.01, 1.01, Double.NaN, Double.POSITIVE_INFINITY}) {
      assertThatThrownBy(() -> model.setKvUtilization(bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("between 0 and 1");
    }
    assertThatThrownBy(() -> metrics.forModel(" ")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> metrics.forModel(null)).isInstanceOf(NullPointerException.class);

    Exposition scrape = Scrapes.scrape(metrics);
    assertThat(scrape.value(MetricNames.TIME_TO_FIRST_TOKEN + "_count", MODEL)).isZero();
    assertThat(scrape.value(MetricNames.TIME_PER_OUTPUT_TOKEN + "_count", MODEL)).isZero();
    assertThat(scrape.value(MetricNames.E2E_REQUEST_LATENCY + "_count", MODEL)).isZero();
    assertThat(scrape.value(MetricNames.GENERATION_TOKENS, MODEL)).isZero();
    assertThat(scrape.samples(MetricNames.REQUESTS_FINISHED)).isEmpty();
    assertThat(scrape.samples(MetricNames.REQUESTS_ABORTED)).isEmpty();
    assertThat(scrape.value(MetricNames.KV_CACHE_USAGE, MODEL)).isEqualTo(0.25);
    assertThat(scrape.value(MetricNames.REQUESTS_WAITING, MODEL)).isEqualTo(2);
    assertThat(scrape.samples(MetricNames.REQUESTS_WAITING)).hasSize(1);
  }
}
