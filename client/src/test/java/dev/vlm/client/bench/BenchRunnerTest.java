package dev.vlm.client.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.client.VlmClient;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BenchRunnerTest {
  private static final String MODEL = "fake";

  private TokenStreamingServer server;
  private ManagedChannel channel;

  @AfterEach
  void tearDown() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.close();
    }
  }

  private VlmClient start(long delayMillis, int chunk) throws Exception {
    server = new TokenStreamingServer(delayMillis, chunk);
    channel = server.newChannel();
    return new VlmClient(channel);
  }

  private static BenchSpec spec(String json) {
    return BenchSpec.parse(json, Path.of("."));
  }

  private static long requestedTokens(List<GenerateRequest> requests) {
    return requests.stream().mapToLong(r -> r.getSampling().getMaxNewTokens()).sum();
  }

  @Test
  void closedLoopCompletesEveryRequestWithConsistentNumbers() throws Exception {
    VlmClient client = start(2, 3);
    BenchSpec mix = spec("[{\"prompt\": {\"words\": 5}, \"output\": {\"min\": 4, \"max\": 12}}]");
    List<Progress> snapshots = new CopyOnWriteArrayList<>();

    BenchReport report =
        new BenchRunner(client, BenchConfig.closedLoop(MODEL, 4, 40), mix, "test")
            .run(snapshots::add);

    List<GenerateRequest> received = server.received();
    assertThat(received).hasSize(40);
    assertThat(server.maxInFlight()).isBetween(2, 4);
    assertThat(report.completed()).isEqualTo(40);
    assertThat(report.failed()).isZero();
    assertThat(report.errors()).isEmpty();
    // Messages carry up to 3 token ids each; every id counts.
    assertThat(report.outputTokens()).isEqualTo(requestedTokens(received));
    assertThat(report.requestsPerSecond())
        .isCloseTo(report.completed() / report.durationSeconds(), within(1e-6));
    assertThat(report.outputTokensPerSecond())
        .isCloseTo(report.outputTokens() / report.durationSeconds(), within(1e-6));
    for (LatencySummary latency : List.of(report.ttft(), report.tpot(), report.e2e())) {
      assertThat(latency.count()).isEqualTo(40);
      assertThat(latency.p50Ms()).isLessThanOrEqualTo(latency.p90Ms());
      assertThat(latency.p90Ms()).isLessThanOrEqualTo(latency.p99Ms());
      assertThat(latency.p99Ms()).isLessThanOrEqualTo(latency.maxMs());
    }
    // The first message leaves the server 2 ms after the request at the earliest.
    assertThat(report.ttft().p50Ms()).isGreaterThanOrEqualTo(1.9);
    assertThat(report.ttft().p50Ms()).isLessThanOrEqualTo(report.e2e().p50Ms());
    assertThat(report.tpot().meanMs()).isLessThan(report.e2e().meanMs());
    Progress last = snapshots.getLast();
    assertThat(last.done()).isEqualTo(40);
    assertThat(last.total()).isEqualTo(40);
  }

  @Test
  void requestsFollowTheSpecWithIgnoreEosAndGreedyDecoding() throws Exception {
    VlmClient client = start(1, 8);
    BenchSpec mix = spec("[{\"prompt\": \"Say hi.\", \"output\": 7}]");

    new BenchRunner(client, BenchConfig.closedLoop(MODEL, 2, 5), mix, "test").run(p -> {});

    assertThat(server.received())
        .allSatisfy(
            request -> {
              assertThat(request.getModel()).isEqualTo(MODEL);
              assertThat(request.getSampling().getMaxNewTokens()).isEqualTo(7);
              assertThat(request.getSampling().getIgnoreEos()).isTrue();
              assertThat(request.getSampling().getTemperature()).isZero();
              assertThat(request.getSampling().hasTemperature()).isTrue();
              assertThat(request.getMessages(0).getContent(0).getText()).isEqualTo("Say hi.");
            });
  }

  @Test
  void theSameSeedSendsTheSameRequests() throws Exception {
    VlmClient client = start(1, 16);
    BenchSpec mix =
        spec(
            "[{\"weight\": 2, \"prompt\": {\"words\": 6}, \"output\": {\"min\": 1, \"max\": 50}},"
                + " {\"prompt\": {\"words\": 3}, \"output\": 9}]");
    BenchConfig config = BenchConfig.closedLoop(MODEL, 1, 12).withSeed(42);

    new BenchRunner(client, config, mix, "test").run(p -> {});
    List<String> first = describe(server.received());
    new BenchRunner(client, config, mix, "test").run(p -> {});
    List<String> both = describe(server.received());
    new BenchRunner(client, config.withSeed(43), mix, "test").run(p -> {});
    List<String> third = describe(server.received()).subList(24, 36);

    assertThat(both.subList(12, 24)).isEqualTo(first);
    assertThat(third).isNotEqualTo(first);
  }

  private static List<String> describe(List<GenerateRequest> requests) {
    List<String> described = new ArrayList<>();
    for (GenerateRequest request : requests) {
      described.add(
          request.getSampling().getMaxNewTokens()
              + ":"
              + request.getMessages(0).getContent(0).getText());
    }
    return described;
  }

  @Test
  void failedRequestsAreCountedByStatusAndTheRunGoesOn() throws Exception {
    VlmClient client = start(1, 4);
    BenchSpec mix =
        spec(
            "[{\"prompt\": \"x\", \"output\": " + TokenStreamingServer.FAILING_LENGTH + "},"
                + " {\"prompt\": \"y\", \"output\": 6}]");

    BenchReport report =
        new BenchRunner(client, BenchConfig.closedLoop(MODEL, 3, 30).withSeed(7), mix, "test")
            .run(p -> {});

    long failing =
        server.received().stream()
            .filter(r -> r.getSampling().getMaxNewTokens() == TokenStreamingServer.FAILING_LENGTH)
            .count();
    assertThat(failing).isPositive().isLessThan(30);
    assertThat(report.failed()).isEqualTo(failing);
    assertThat(report.completed()).isEqualTo(30 - failing);
    assertThat(report.errors()).isEqualTo(Map.of("RESOURCE_EXHAUSTED", failing));
    assertThat(report.outputTokens()).isEqualTo(6 * (30 - failing));
    assertThat(report.e2e().count()).isEqualTo(30 - failing);
    assertThat(report.table()).contains("RESOURCE_EXHAUSTED");
  }

  @Test
  void warmupRequestsAreSentButNotMeasured() throws Exception {
    VlmClient client = start(1, 4);
    BenchSpec mix = spec("[{\"prompt\": \"x\", \"output\": 3}]");

    BenchReport report =
        new BenchRunner(client, BenchConfig.closedLoop(MODEL, 2, 10).withWarmup(5), mix, "test")
            .run(p -> {});

    assertThat(server.received()).hasSize(15);
    assertThat(report.completed()).isEqualTo(10);
    assertThat(report.outputTokens()).isEqualTo(30);
  }

  @Test
  void openLoopIssuesPoissonArrivalsWithoutWaitingForAnswers() throws Exception {
    // Each answer takes about 4 x 40 ms, far longer than the mean gap of 5 ms.
    VlmClient client = start(40, 1);
    BenchSpec mix = spec("[{\"prompt\": \"x\", \"output\": 4}]");

    BenchReport report =
        new BenchRunner(client, BenchConfig.openLoop(MODEL, 200, 500).withSeed(3), mix, "test")
            .run(p -> {});

    long issued = report.completed() + report.failed();
    assertThat(issued).isBetween(65L, 135L); // 100 expected; Poisson spread is about 10
    assertThat(server.received()).hasSize((int) issued);
    assertThat(server.maxInFlight()).isGreaterThan(10);
    assertThat(report.delayedArrivals()).isZero();
    // In-flight requests at the end are awaited and counted.
    assertThat(report.failed()).isZero();
    assertThat(report.durationSeconds()).isGreaterThan(0.5);
  }

  @Test
  void openLoopRespectsTheInFlightCap() throws Exception {
    VlmClient client = start(20, 1);
    BenchSpec mix = spec("[{\"prompt\": \"x\", \"output\": 3}]");
    BenchConfig config = BenchConfig.openLoop(MODEL, 500, 300).withMaxInFlight(3);

    BenchReport report = new BenchRunner(client, config, mix, "test").run(p -> {});

    assertThat(server.maxInFlight()).isBetween(1, 3);
    assertThat(report.delayedArrivals()).isPositive();
    assertThat(report.completed()).isEqualTo(server.received().size());
  }

  @Test
  void durationBoundClosedLoopStopsIssuingAfterTheDuration() throws Exception {
    VlmClient client = start(5, 1);
    BenchSpec mix = spec("[{\"prompt\": \"x\", \"output\": 2}]");
    BenchConfig config = new BenchConfig(MODEL, 2, 0, 1, 0, 300, 0, 0);

    long started = System.nanoTime();
    BenchReport report = new BenchRunner(client, config, mix, "test").run(p -> {});
    double seconds = (System.nanoTime() - started) / 1e9;

    assertThat(seconds).isBetween(0.3, 3.0);
    assertThat(report.completed()).isPositive().isEqualTo(server.received().size());
  }

  @Test
  void stopCancelsRequestsInFlightAndEndsTheRun() throws Exception {
    VlmClient client = start(50, 1);
    BenchSpec mix = spec("[{\"prompt\": \"x\", \"output\": 1000}]");
    BenchRunner runner =
        new BenchRunner(client, BenchConfig.closedLoop(MODEL, 2, 100), mix, "test");
    Thread stopper =
        Thread.ofPlatform()
            .start(
                () -> {
                  try {
                    Thread.sleep(200);
                  } catch (InterruptedException e) {
                    return;
                  }
                  runner.stop();
                });

    BenchReport report = runner.run(p -> {});
    stopper.join();

    assertThat(report.completed()).isZero();
    assertThat(report.errors()).containsOnlyKeys("CANCELLED");
    assertThat(report.failed()).isEqualTo(server.received().size());
  }

  @Test
  void theReportRoundTripsThroughJson() throws Exception {
    VlmClient client = start(1, 2);
    BenchSpec mix =
        spec(
            "[{\"prompt\": \"x\", \"output\": " + TokenStreamingServer.FAILING_LENGTH + "},"
                + " {\"prompt\": \"y\", \"output\": {\"min\": 2, \"max\": 9}}]");
    BenchReport report =
        new BenchRunner(client, BenchConfig.closedLoop(MODEL, 2, 12).withSeed(5), mix, "mix.json")
            .run(p -> {});

    String json = report.toJson();

    assertThat(BenchReport.fromJson(json)).isEqualTo(report);
    assertThat(json)
        .contains("\"output_tokens_per_second\"", "\"p99_ms\"", "\"ttft\"", "\"config\"")
        .contains("\"model\" : \"fake\"", "\"spec\" : \"mix.json\"");
  }
}
