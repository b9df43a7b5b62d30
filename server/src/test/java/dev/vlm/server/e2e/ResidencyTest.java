package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.GetModelRequest;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.api.v1.LoadModelRequest;
import dev.vlm.api.v1.ModelInfo;
import dev.vlm.api.v1.ModelsGrpc;
import dev.vlm.server.TestData;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.ResidencySettings;
import dev.vlm.server.config.ServerConfig;
import dev.vlm.server.serving.ModelState;
import dev.vlm.server.serving.ModelStatus;
import io.grpc.stub.StreamObserver;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three copies of the tiny model under a memory budget that fits two: requests to all three
 * succeed with the right tokens, idle models are evicted to make room, never more than two hold
 * memory at once, and a model with a stream running is never the one evicted.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ResidencyTest {
  private static final List<String> NAMES = List.of("model-a", "model-b", "model-c");
  private static final int SHORT = 6;
  private static final int LONG = 400;

  @TempDir static Path temp;
  private List<ModelSpec> specs;
  private long footprint;
  private long budget;
  // Expected tokens come from transformers.js (the goldens), not from the server under test.
  private Goldens.Case golden;
  private List<Integer> shortTokens;
  private List<Integer> firstLongOutput;
  private RunningServer server;
  private final Sampler sampler = new Sampler();

  @BeforeAll
  void start() throws Exception {
    specs = new ArrayList<>();
    for (String name : NAMES) {
      // One sequence each: long requests on a model queue behind each other and keep it busy.
      specs.add(new ModelSpec(name, TestData.copyOfTinyLlava(temp, name), Optional.empty(), 0, 1, 0, Optional.empty(), false));
    }
    golden = Goldens.load("tiny-llava.json", "model-a").get(0);
    assertThat(golden.tokenIds()).hasSizeGreaterThanOrEqualTo(SHORT);
    shortTokens = golden.tokenIds().subList(0, SHORT);
    // What one model reserves sizes the scenario (room for two, not three); the bound the test
    // then checks is this budget, not one read back from the server under test.
    try (RunningServer roomy = RunningServer.start(ServerConfig.of(0, specs.subList(0, 1)))) {
      ModelInfo info = ModelsGrpc.newBlockingStub(roomy.channel)
          .loadModel(LoadModelRequest.newBuilder().setName("model-a").build());
      footprint = info.getReservedBytes();
    }
    assertThat(footprint).isPositive();
    budget = 2 * footprint + footprint / 2;
    ServerConfig config = ServerConfig.of(0, specs)
        .withMetricsPort(0)
        .withResidency(new ResidencySettings(budget, Duration.ofSeconds(30), Duration.ofSeconds(30)));
    server = RunningServer.start(config);
    sampler.start(server);
  }

  @AfterAll
  void stop() throws InterruptedException {
    sampler.stop();
    if (server != null) {
      server.close();
    }
  }

  @Test
  void roundRobinAcrossThreeModelsWithRoomForTwo() throws Exception {
    var inference = InferenceGrpc.newBlockingStub(server.channel);
    for (int round = 0; round < 3; round++) {
      for (String name : NAMES) {
        assertThat(inference.generate(request(name, SHORT)).getTokenIdsList()).as(name).isEqualTo(shortTokens);
      }
    }
    long evictions = NAMES.stream().mapToLong(this::evictions).sum();
    assertThat(evictions).isGreaterThanOrEqualTo(7); // every request after the second found the budget full
    assertThat(sampler.maxResident.get()).isLessThanOrEqualTo(2);
    assertThat(sampler.maxReserved.get()).isPositive().isLessThanOrEqualTo(budget);
    ModelInfo a = ModelsGrpc.newBlockingStub(server.channel).getModel(GetModelRequest.newBuilder().setName("model-a").build());
    assertThat(a.getLastLoadMillis()).as("the cold-start cost").isPositive();
    assertThat(a.getLastUsedUnixMillis()).isPositive();
    assertThat(scrape()).contains("vlm:model_load_seconds_count{model_name=\"model-a\"}");
  }

  @Test
  void concurrentRequestsToAllThreeWaitForRoomAndSucceed() throws Exception {
    var inference = InferenceGrpc.newBlockingStub(server.channel);
    ExecutorService clients = Executors.newFixedThreadPool(3);
    try {
      List<Future<List<Integer>>> results = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        String name = NAMES.get(i % 3);
        results.add(clients.submit(() -> inference.withDeadlineAfter(60, TimeUnit.SECONDS)
            .generate(request(name, SHORT)).getTokenIdsList()));
      }
      for (Future<List<Integer>> result : results) {
        assertThat(result.get(90, TimeUnit.SECONDS)).isEqualTo(shortTokens);
      }
    } finally {
      clients.shutdownNow();
    }
    assertThat(sampler.maxResident.get()).isLessThanOrEqualTo(2);
  }

  @Test
  void aModelStreamingALongResponseIsNeverEvicted() throws Exception {
    var inference = InferenceGrpc.newBlockingStub(server.channel);
    inference.generate(request("model-a", 1)); // resident before the stream starts
    long evictionsOfABefore = evictions("model-a");
    long evictionsBefore = NAMES.stream().mapToLong(this::evictions).sum();

    sampler.watched = "model-a"; // from here until its requests end, model-a must stay LOADED
    CollectingObserver stream = new CollectingObserver();
    InferenceGrpc.newStub(server.channel).generateStream(request("model-a", LONG), stream);
    // Two more long requests queue behind the stream (one sequence at a time): model-a stays busy.
    var more = List.of(
        InferenceGrpc.newFutureStub(server.channel).generate(request("model-a", LONG)),
        InferenceGrpc.newFutureStub(server.channel).generate(request("model-a", LONG)));
    LongRequests.awaitModel(server.server, "model-a", m -> m.inFlightRequests() > 0, Duration.ofSeconds(10));

    // Switch between the other two while the server still has model-a's requests: each switch
    // must evict one of them, never model-a. Once model-a is idle it may be evicted like any
    // other (least recently used first), so the loop asks the server, not the client's stream.
    int switchesWhileBusy = 0;
    for (int i = 0; i < 20 && inFlight("model-a") > 0; i++) {
      String other = i % 2 == 0 ? "model-b" : "model-c";
      assertThat(inference.generate(request(other, SHORT)).getTokenIdsList()).isEqualTo(shortTokens);
      if (inFlight("model-a") > 0) {
        switchesWhileBusy++;
      }
    }
    assertLongOutput(stream.done.get(60, TimeUnit.SECONDS));
    for (var response : more) {
      assertLongOutput(response.get(60, TimeUnit.SECONDS).getTokenIdsList());
    }
    sampler.watched = null;
    assertThat(switchesWhileBusy).as("requests to other models while model-a streamed").isGreaterThanOrEqualTo(2);
    assertThat(evictions("model-a")).isEqualTo(evictionsOfABefore);
    assertThat(NAMES.stream().mapToLong(this::evictions).sum()).isGreaterThan(evictionsBefore);
    assertThat(sampler.watchedLeft.get()).as("model-a left LOADED while its requests ran").isFalse();
    assertThat(sampler.maxResident.get()).isLessThanOrEqualTo(2);
  }

  /**
   * A long greedy output starts with the golden's tokens (greedy decoding past the golden's
   * length only extends it) and is the same every time.
   */
  private synchronized void assertLongOutput(List<Integer> tokens) {
    assertThat(tokens).hasSize(LONG);
    assertThat(tokens.subList(0, golden.tokenIds().size())).isEqualTo(golden.tokenIds());
    if (firstLongOutput == null) {
      firstLongOutput = tokens;
    }
    assertThat(tokens).isEqualTo(firstLongOutput);
  }

  private int inFlight(String name) {
    return server.server.models().stream().filter(m -> m.name().equals(name)).findFirst().orElseThrow().inFlightRequests();
  }

  private long evictions(String name) {
    Matcher m = Pattern.compile("vlm:model_evictions_total\\{model_name=\"" + Pattern.quote(name) + "\"} (\\S+)")
        .matcher(scrape());
    return m.find() ? (long) Double.parseDouble(m.group(1)) : 0;
  }

  private String scrape() {
    try {
      HttpResponse<String> response = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.server.metricsPort() + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString());
      return response.body();
    } catch (IOException e) {
      throw new AssertionError(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private GenerateRequest request(String model, int tokens) {
    GenerateRequest g = golden.request();
    return g.toBuilder().setModel(model).clearRequestId()
        .setSampling(g.getSampling().toBuilder().setMaxNewTokens(tokens).setIgnoreEos(true)).build();
  }


  /** Watches the server's models every millisecond: how many hold memory, and whether a watched one left LOADED. */
  private static final class Sampler {
    final AtomicInteger maxResident = new AtomicInteger();
    final AtomicLong maxReserved = new AtomicLong();
    final AtomicBoolean watchedLeft = new AtomicBoolean();
    volatile String watched;
    private volatile boolean running = true;
    private Thread thread;

    void start(RunningServer server) {
      thread = Thread.ofPlatform().daemon().start(() -> {
        while (running) {
          List<ModelStatus> models = server.server.models();
          maxResident.accumulateAndGet((int) models.stream().filter(m -> m.reservedBytes() > 0).count(), Math::max);
          maxReserved.accumulateAndGet(models.stream().mapToLong(ModelStatus::reservedBytes).sum(), Math::max);
          String name = watched;
          if (name != null && models.stream().anyMatch(m -> m.name().equals(name) && m.state() != ModelState.LOADED)) {
            watchedLeft.set(true);
          }
          try {
            Thread.sleep(1);
          } catch (InterruptedException e) {
            return;
          }
        }
      });
    }

    void stop() throws InterruptedException {
      running = false;
      thread.join();
    }
  }

  /** Collects a stream's tokens. */
  private static final class CollectingObserver implements StreamObserver<GenerateResponse> {
    final CompletableFuture<List<Integer>> done = new CompletableFuture<>();
    private final List<Integer> tokens = new ArrayList<>();

    @Override
    public synchronized void onNext(GenerateResponse response) {
      tokens.addAll(response.getTokenIdsList());
    }

    @Override
    public synchronized void onError(Throwable t) {
      done.completeExceptionally(t);
    }

    @Override
    public synchronized void onCompleted() {
      done.complete(List.copyOf(tokens));
    }
  }
}
