package dev.vlm.server.metrics;

import static dev.vlm.server.metrics.MetricNames.MODEL_LABEL;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Many threads record for two models while a scraper reads over HTTP: no event is lost, and
 * every scrape is consistent in itself and never goes backwards.
 */
class ConcurrentRecordingTest {
  private static final int THREADS = 8;
  private static final int REQUESTS_PER_THREAD = 2_000;
  private static final String[] MODELS = {"left", "right"};
  // Powers of two, so the expected sums are exact in floating point.
  private static final Duration TOKEN_GAP = Duration.ofMillis(250);
  private static final Duration E2E = Duration.ofMillis(500);

  @Test
  void concurrentRecordsAreAllCountedAndScrapesStayConsistent() throws Exception {
    ServerMetrics metrics = new ServerMetrics();
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    AtomicBoolean recording = new AtomicBoolean(true);
    CountDownLatch start = new CountDownLatch(1);
    try (MetricsEndpoint endpoint = Scrapes.startOnLoopback(metrics)) {
      List<Future<?>> recorders = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        ModelMetrics model = metrics.forModel(MODELS[t % MODELS.length]);
        recorders.add(
            pool.submit(
                () -> {
                  start.await();
                  for (int i = 0; i < REQUESTS_PER_THREAD; i++) {
                    model.requestQueued();
                    model.outputToken(TOKEN_GAP);
                    model.preempted();
                    model.requestFinished("eos", E2E, 3, 2);
                  }
                  return null;
                }));
      }
      Thread scraper = Thread.ofPlatform().start(() -> scrapeWhileRecording(endpoint, recording));
      start.countDown();
      for (Future<?> recorder : recorders) {
        recorder.get(60, TimeUnit.SECONDS);
      }
      recording.set(false);
      scraper.join(Duration.ofSeconds(30));
      assertThat(scraperFailure).as("scraper failure").isNull();
      assertThat(scrapesTaken).isPositive();

      Exposition last = Scrapes.scrape(endpoint);
      double perModel = (double) THREADS / MODELS.length * REQUESTS_PER_THREAD;
      for (String name : MODELS) {
        Map<String, String> model = Map.of(MODEL_LABEL, name);
        assertThat(last.value(MetricNames.REQUESTS_RECEIVED, model)).isEqualTo(perModel);
        assertThat(last.value(MetricNames.PREEMPTIONS, model)).isEqualTo(perModel);
        assertThat(last.value(MetricNames.PROMPT_TOKENS, model)).isEqualTo(3 * perModel);
        assertThat(last.value(MetricNames.GENERATION_TOKENS, model)).isEqualTo(2 * perModel);
        assertThat(last.value(MetricNames.REQUESTS_FINISHED, Map.of(MODEL_LABEL, name, MetricNames.FINISHED_REASON_LABEL, "eos")))
            .isEqualTo(perModel);
        assertThat(last.value(MetricNames.TIME_PER_OUTPUT_TOKEN + "_count", model)).isEqualTo(perModel);
        assertThat(last.value(MetricNames.TIME_PER_OUTPUT_TOKEN + "_sum", model)).isEqualTo(0.25 * perModel);
        assertThat(last.value(MetricNames.E2E_REQUEST_LATENCY + "_sum", model)).isEqualTo(0.5 * perModel);
        assertThat(last.buckets(MetricNames.E2E_REQUEST_LATENCY, model))
            .containsEntry(0.25, 0.0)
            .containsEntry(0.5, perModel);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private volatile Throwable scraperFailure;
  private volatile int scrapesTaken;

  private void scrapeWhileRecording(MetricsEndpoint endpoint, AtomicBoolean recording) {
    Map<String, String> left = Map.of(MODEL_LABEL, MODELS[0]);
    double previous = 0;
    try {
      while (recording.get()) {
        Exposition scrape = Scrapes.scrape(endpoint);
        double received = scrape.value(MetricNames.REQUESTS_RECEIVED, left);
        assertThat(received).as("counter went backwards").isGreaterThanOrEqualTo(previous);
        previous = received;
        String histogram = MetricNames.E2E_REQUEST_LATENCY;
        assertThat(scrape.buckets(histogram, left).lastEntry().getValue())
            .as("+Inf bucket equals count within one scrape")
            .isEqualTo(scrape.value(histogram + "_count", left));
        scrapesTaken++;
      }
    } catch (Throwable t) {
      scraperFailure = t;
    }
  }
}
