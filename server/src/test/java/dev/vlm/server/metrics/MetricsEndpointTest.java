package dev.vlm.server.metrics;

import static dev.vlm.server.metrics.MetricNames.ABORT_REASON_LABEL;
import static dev.vlm.server.metrics.MetricNames.FINISHED_REASON_LABEL;
import static dev.vlm.server.metrics.MetricNames.MODEL_LABEL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.DoubleStream;
import org.junit.jupiter.api.Test;

/** Records events for two models and reads them back over HTTP as a scraper would. */
class MetricsEndpointTest {
  private static final String LLAVA = "tiny-llava";
  private static final String SMOL = "smolvlm";
  private static final Map<String, String> LLAVA_ONLY = Map.of(MODEL_LABEL, LLAVA);
  private static final Map<String, String> SMOL_ONLY = Map.of(MODEL_LABEL, SMOL);

  @Test
  void scrapeShowsEachModelsSeriesWithItsOwnValues() throws Exception {
    ServerMetrics metrics = new ServerMetrics();
    ModelMetrics llava = metrics.forModel(LLAVA);
    for (int i = 0; i < 3; i++) {
      llava.requestQueued();
    }
    llava.requestStarted(Duration.ofMillis(20));
    llava.requestStarted(Duration.ofMillis(700));
    llava.firstToken(Duration.ofMillis(100));
    for (int i = 0; i < 4; i++) {
      llava.outputToken(Duration.ofMillis(20));
    }
    llava.requestFinished("eos", Duration.ofMillis(1500), 40, 5);
    llava.requestFinished("length", Duration.ofMillis(300), 20, 16);
    llava.aborted("cancelled");
    llava.preempted();
    llava.preempted();
    llava.setWaiting(1);
    llava.setRunning(2);
    llava.setKvUtilization(0.375);

    ModelMetrics smol = metrics.forModel(SMOL);
    smol.requestQueued();
    smol.setWaiting(7);
    smol.aborted("deadline_exceeded");
    smol.requestFinished("stop", Duration.ofSeconds(2), 12, 3);

    Exposition scrape = Scrapes.scrape(metrics);

    assertThat(scrape.type(MetricNames.REQUESTS_WAITING)).isEqualTo("gauge");
    assertThat(scrape.type(MetricNames.REQUESTS_RUNNING)).isEqualTo("gauge");
    assertThat(scrape.type(MetricNames.KV_CACHE_USAGE)).isEqualTo("gauge");
    assertThat(scrape.value(MetricNames.REQUESTS_WAITING, LLAVA_ONLY)).isEqualTo(1);
    assertThat(scrape.value(MetricNames.REQUESTS_WAITING, SMOL_ONLY)).isEqualTo(7);
    assertThat(scrape.value(MetricNames.REQUESTS_RUNNING, LLAVA_ONLY)).isEqualTo(2);
    assertThat(scrape.value(MetricNames.REQUESTS_RUNNING, SMOL_ONLY)).isEqualTo(0);
    assertThat(scrape.value(MetricNames.KV_CACHE_USAGE, LLAVA_ONLY)).isEqualTo(0.375);
    assertThat(scrape.value(MetricNames.KV_CACHE_USAGE, SMOL_ONLY)).isEqualTo(0);

    assertThat(scrape.type(MetricNames.REQUESTS_RECEIVED)).isEqualTo("counter");
    assertThat(scrape.value(MetricNames.REQUESTS_RECEIVED, LLAVA_ONLY)).isEqualTo(3);
    assertThat(scrape.value(MetricNames.REQUESTS_RECEIVED, SMOL_ONLY)).isEqualTo(1);
    assertThat(scrape.value(MetricNames.PREEMPTIONS, LLAVA_ONLY)).isEqualTo(2);
    assertThat(scrape.value(MetricNames.PREEMPTIONS, SMOL_ONLY)).isEqualTo(0);
    assertThat(scrape.value(MetricNames.PROMPT_TOKENS, LLAVA_ONLY)).isEqualTo(60);
    assertThat(scrape.value(MetricNames.PROMPT_TOKENS, SMOL_ONLY)).isEqualTo(12);
    assertThat(scrape.value(MetricNames.GENERATION_TOKENS, LLAVA_ONLY)).isEqualTo(21);
    assertThat(scrape.value(MetricNames.GENERATION_TOKENS, SMOL_ONLY)).isEqualTo(3);

    assertThat(scrape.samples(MetricNames.REQUESTS_FINISHED))
        .extracting(Exposition.Sample::labels, Exposition.Sample::value)
        .containsExactlyInAnyOrder(
            tuple(Map.of(MODEL_LABEL, LLAVA, FINISHED_REASON_LABEL, "eos"), 1.0),
            tuple(Map.of(MODEL_LABEL, LLAVA, FINISHED_REASON_LABEL, "length"), 1.0),
            tuple(Map.of(MODEL_LABEL, SMOL, FINISHED_REASON_LABEL, "stop"), 1.0));
    assertThat(scrape.samples(MetricNames.REQUESTS_ABORTED))
        .extracting(Exposition.Sample::labels, Exposition.Sample::value)
        .containsExactlyInAnyOrder(
            tuple(Map.of(MODEL_LABEL, LLAVA, ABORT_REASON_LABEL, "cancelled"), 1.0),
            tuple(
                Map.of(MODEL_LABEL, SMOL, ABORT_REASON_LABEL, "deadline_exceeded"), 1.0));

    String e2e = MetricNames.E2E_REQUEST_LATENCY;
    assertThat(scrape.type(e2e)).isEqualTo("histogram");
    assertThat(scrape.value(e2e + "_count", LLAVA_ONLY)).isEqualTo(2);
    assertThat(scrape.value(e2e + "_sum", LLAVA_ONLY)).isCloseTo(1.8, within(1e-9));
    assertThat(scrape.buckets(e2e, LLAVA_ONLY))
        .containsEntry(0.25, 0.0)
        .containsEntry(0.5, 1.0)
        .containsEntry(1.0, 1.0)
        .containsEntry(2.5, 2.0)
        .containsEntry(Double.POSITIVE_INFINITY, 2.0);
    assertThat(scrape.value(e2e + "_count", SMOL_ONLY)).isEqualTo(1);
    assertThat(scrape.buckets(e2e, SMOL_ONLY)).containsEntry(1.0, 0.0).containsEntry(2.5, 1.0);

    String tpot = MetricNames.TIME_PER_OUTPUT_TOKEN;
    assertThat(scrape.value(tpot + "_count", LLAVA_ONLY)).isEqualTo(4);
    assertThat(scrape.value(tpot + "_sum", LLAVA_ONLY)).isCloseTo(0.08, within(1e-9));
    assertThat(scrape.buckets(tpot, LLAVA_ONLY)).containsEntry(0.01, 0.0).containsEntry(0.025, 4.0);

    String ttft = MetricNames.TIME_TO_FIRST_TOKEN;
    assertThat(scrape.value(ttft + "_count", LLAVA_ONLY)).isEqualTo(1);
    assertThat(scrape.buckets(ttft, LLAVA_ONLY)).containsEntry(0.05, 0.0).containsEntry(0.1, 1.0);
    assertThat(scrape.value(ttft + "_count", SMOL_ONLY)).isEqualTo(0);

    String queue = MetricNames.REQUEST_QUEUE_TIME;
    assertThat(scrape.buckets(queue, LLAVA_ONLY))
        .containsEntry(0.025, 1.0)
        .containsEntry(0.5, 1.0)
        .containsEntry(1.0, 2.0);
  }

  @Test
  void latencyHistogramsSpanOneMillisecondToOneMinute() throws Exception {
    ServerMetrics metrics = new ServerMetrics();
    metrics.forModel(LLAVA);

    Exposition scrape = Scrapes.scrape(metrics);

    double[] expected = DoubleStream.concat(Arrays.stream(Buckets.REQUEST_SECONDS), DoubleStream.of(Double.POSITIVE_INFINITY)).toArray();
    for (String histogram :
        new String[] {
          MetricNames.TIME_TO_FIRST_TOKEN,
          MetricNames.TIME_PER_OUTPUT_TOKEN,
          MetricNames.E2E_REQUEST_LATENCY,
          MetricNames.REQUEST_QUEUE_TIME
        }) {
      assertThat(scrape.buckets(histogram, LLAVA_ONLY).keySet()).as(histogram).containsExactly(box(expected));
    }
    assertThat(Buckets.REQUEST_SECONDS[0]).isEqualTo(0.001);
    assertThat(Buckets.REQUEST_SECONDS[Buckets.REQUEST_SECONDS.length - 1]).isEqualTo(60);
  }

  @Test
  void healthHandlerAnswers() throws Exception {
    try (MetricsEndpoint endpoint = Scrapes.startOnLoopback(new ServerMetrics())) {
      assertThat(Scrapes.get(endpoint.port(), "/-/healthy").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void closeFreesThePort() throws Exception {
    MetricsEndpoint endpoint = Scrapes.startOnLoopback(new ServerMetrics());
    int port = endpoint.port();
    assertThat(port).isPositive();

    endpoint.close();
    endpoint.close(); // a second close is harmless

    assertThatThrownBy(() -> Scrapes.get(port, MetricsEndpoint.PATH)).isInstanceOf(IOException.class);
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      assertThat(socket.getLocalPort()).isEqualTo(port);
    }
  }

  @Test
  void aBusyPortFailsWithTheAddressInTheMessage() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), taken.getLocalPort());

      assertThatThrownBy(() -> MetricsEndpoint.start(new ServerMetrics(), address))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("cannot serve metrics")
          .hasMessageContaining(String.valueOf(taken.getLocalPort()));
    }
  }

  private static Double[] box(double[] values) {
    return Arrays.stream(values).boxed().toArray(Double[]::new);
  }
}
