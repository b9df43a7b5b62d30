package dev.vlm.server.e2e;

import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.api.v1.LoadModelRequest;
import dev.vlm.api.v1.ModelsGrpc;
import dev.vlm.api.v1.UnloadModelRequest;
import dev.vlm.server.TestData;
import dev.vlm.server.config.BatchingSettings;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.RequestLimits;
import dev.vlm.server.config.ResidencySettings;
import dev.vlm.server.config.RuntimeSettings;
import dev.vlm.server.engine.OrtRuntime;
import dev.vlm.server.generation.ModelLoader;
import dev.vlm.server.generation.RequestFaults;
import dev.vlm.server.grpc.GrpcEndpoint;
import dev.vlm.server.metrics.ServerMetrics;
import dev.vlm.server.model.ModelFamilies;
import dev.vlm.server.serving.MemoryBudget;
import dev.vlm.server.serving.ModelRegistry;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The soak with faults (docs/RELIABILITY.md): three copies of the tiny model under a budget that
 * fits two, driven open-loop at twice the request rate the server sustains, 20% of clients
 * cancelling mid-stream, 10% with deadlines that expire, LoadModel/UnloadModel churn, and
 * injected engine failures (a failed request now and then, a loop-killing {@link Error} every
 * two minutes). It reports calls that never ended (each must end within its deadline plus 5 s),
 * answers that ended OK without a finish, resident memory over time and time to first token.
 * Exits 1 if a call never ended, an OK answer had no finish, or memory after warm-up left a 10%
 * band.
 *
 * <p>Run: {@code bench/soak.sh} ({@code [minutes] [seed]}; defaults 10 and 1).
 */
final class Soak {
  private static final List<String> NAMES = List.of("soak-a", "soak-b", "soak-c");
  private static final int TOKENS = 16;
  private static final long GRACE_MILLIS = 5_000;

  private Soak() {}

  /** Injects a failed request now and then, and an Error that ends a loop every two minutes. */
  private static final class FaultyLoader extends ModelLoader {
    private final AtomicLong nextLoopKill = new AtomicLong(System.nanoTime() + Duration.ofMinutes(2).toNanos());
    final AtomicInteger requestFailures = new AtomicInteger();
    final AtomicInteger loopKills = new AtomicInteger();
    private final SplittableRandom random;

    FaultyLoader(long seed) {
      super(ModelFamilies.builtIn(), OrtRuntime.create(RuntimeSettings.defaults()));
      random = new SplittableRandom(seed);
    }

    @Override
    public RequestFaults faultsFor(ModelSpec spec) {
      return (stage, id) -> {
        if (!stage.equals("sample")) {
          return;
        }
        long due = nextLoopKill.get();
        if (System.nanoTime() - due >= 0 && nextLoopKill.compareAndSet(due, due + Duration.ofMinutes(2).toNanos())) {
          loopKills.incrementAndGet();
          throw new OutOfMemoryError("injected by the soak: the loop of " + spec.name() + " dies");
        }
        boolean fail;
        synchronized (random) {
          fail = random.nextInt(500) == 0;
        }
        if (fail) {
          requestFailures.incrementAndGet();
          throw new IllegalStateException("injected by the soak: one request's step fails");
        }
      };
    }
  }

  /** One call's life. */
  private static final class Call {
    final long startNanos = System.nanoTime();
    final long deadlineMillis;
    volatile long firstTokenNanos;
    volatile long endNanos;
    volatile Status.Code code;
    volatile boolean finished;

    Call(long deadlineMillis) {
      this.deadlineMillis = deadlineMillis;
    }
  }

  public static void main(String[] args) throws Exception {
    Duration length = Duration.ofMinutes(args.length > 0 ? Long.parseLong(args[0]) : 10);
    long seed = args.length > 1 ? Long.parseLong(args[1]) : 1;
    Path dir = Files.createTempDirectory("soak");
    List<ModelSpec> specs = new ArrayList<>();
    for (String name : NAMES) {
      specs.add(new ModelSpec(name, TestData.copyOfTinyLlava(dir, name), Optional.empty()));
    }
    FaultyLoader loader = new FaultyLoader(seed);
    long footprint = footprint(specs.get(0));
    long budget = 2 * footprint + footprint / 2;
    ModelRegistry registry = new ModelRegistry(specs, loader, RequestLimits.defaults(), BatchingSettings.defaults(),
        new ServerMetrics(), new MemoryBudget(budget),
        new ResidencySettings(budget, Duration.ofSeconds(5), Duration.ofSeconds(20)), Duration.ofSeconds(2));
    registry.start();
    GrpcEndpoint endpoint = GrpcEndpoint.start(0, registry, RequestLimits.defaults());
    ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", endpoint.port()).usePlaintext().build();
    SplittableRandom random = new SplittableRandom(seed);
    try {
      double sustained = sustainedRate(channel, Duration.ofSeconds(20));
      double rate = 2 * sustained;
      System.out.printf("soak: sustained %.2f req/s closed-loop; driving %.2f req/s for %d min, budget %d bytes (%d per model)%n",
          sustained, rate, length.toMinutes(), budget, footprint);
      List<Call> calls = Collections.synchronizedList(new ArrayList<>());
      List<long[]> rss = Collections.synchronizedList(new ArrayList<>());
      ScheduledExecutorService background = Executors.newScheduledThreadPool(2);
      long start = System.nanoTime();
      background.scheduleAtFixedRate(() -> {
        try {
          rss.add(new long[] {(System.nanoTime() - start) / 1_000_000_000L, GrpcFuzz.residentBytes()});
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }, 0, 10, TimeUnit.SECONDS);
      background.scheduleAtFixedRate(() -> churn(channel, random), 5, 7, TimeUnit.SECONDS);
      long intervalNanos = (long) (1e9 / rate);
      long next = System.nanoTime();
      long end = start + length.toNanos();
      while (System.nanoTime() < end) {
        int kind;
        synchronized (random) {
          kind = random.nextInt(10);
        }
        calls.add(send(channel, NAMES.get(calls.size() % NAMES.size()), kind));
        next += intervalNanos;
        long sleep = next - System.nanoTime();
        if (sleep > 0) {
          TimeUnit.NANOSECONDS.sleep(sleep);
        }
      }
      background.shutdownNow();
      // Every call has a deadline of at most 120 s; wait for them all plus the grace.
      long waitUntil = System.nanoTime() + Duration.ofSeconds(125).toNanos();
      while (System.nanoTime() < waitUntil && calls.stream().anyMatch(c -> c.endNanos == 0)) {
        Thread.sleep(200);
      }
      rss.add(new long[] {(System.nanoTime() - start) / 1_000_000_000L, GrpcFuzz.residentBytes()});
      System.exit(report(calls, rss, loader) ? 0 : 1);
    } finally {
      channel.shutdownNow();
      endpoint.stopAccepting();
      registry.drainAndClose(Duration.ZERO);
      endpoint.awaitTermination(Duration.ofSeconds(1));
    }
  }

  private static boolean report(List<Call> calls, List<long[]> rss, FaultyLoader loader) {
    Map<Status.Code, Integer> codes = new ConcurrentHashMap<>();
    int neverEnded = 0;
    int okWithoutFinish = 0;
    List<Long> ttft = new ArrayList<>();
    synchronized (calls) {
      for (Call c : calls) {
        if (c.endNanos == 0 || c.endNanos - c.startNanos > (c.deadlineMillis + GRACE_MILLIS) * 1_000_000) {
          neverEnded++;
          continue;
        }
        codes.merge(c.code, 1, Integer::sum);
        if (c.code == Status.Code.OK && !c.finished) {
          okWithoutFinish++;
        }
        if (c.code == Status.Code.OK && c.firstTokenNanos > 0) {
          ttft.add((c.firstTokenNanos - c.startNanos) / 1_000_000);
        }
      }
    }
    Collections.sort(ttft);
    // Warm-up: the first quarter of the readings.
    List<long[]> settled = rss.subList(rss.size() / 4, rss.size());
    long low = settled.stream().mapToLong(r -> r[1]).min().orElse(0);
    long high = settled.stream().mapToLong(r -> r[1]).max().orElse(0);
    boolean flat = high <= low * 1.10;
    System.out.printf("soak: %d calls %s; never ended in deadline+5s: %d; OK without a finish: %d;"
            + " injected request failures %d, loop kills %d%n",
        calls.size(), codes, neverEnded, okWithoutFinish, loader.requestFailures.get(), loader.loopKills.get());
    System.out.printf("soak: time to first token p50 %d ms, p99 %d ms (%d OK streams)%n",
        percentile(ttft, 0.50), percentile(ttft, 0.99), ttft.size());
    StringBuilder series = new StringBuilder();
    rss.forEach(r -> series.append(r[0]).append("s=").append(r[1] >> 20).append("MB "));
    System.out.printf("soak: RSS %s%nsoak: after warm-up %d..%d MB (%+.1f%%): %s%n", series, low >> 20, high >> 20,
        100.0 * (high - low) / Math.max(1, low), flat ? "flat within 10%" : "NOT flat");
    return neverEnded == 0 && okWithoutFinish == 0 && flat;
  }

  private static long percentile(List<Long> sorted, double q) {
    return sorted.isEmpty() ? -1 : sorted.get(Math.min(sorted.size() - 1, (int) Math.floor(q * sorted.size())));
  }

  /** 0-1: cancels after its first response; 2: a deadline that expires; else a plain stream. */
  private static Call send(ManagedChannel channel, String model, int kind) {
    long deadline = kind == 2 ? 150 : 120_000;
    Call c = new Call(deadline);
    GenerateRequest request = LongRequests.ofTokens(TOKENS).toBuilder().setModel(model).build();
    ClientCall<GenerateRequest, GenerateResponse> call = channel.newCall(InferenceGrpc.getGenerateStreamMethod(),
        CallOptions.DEFAULT.withDeadlineAfter(deadline, TimeUnit.MILLISECONDS));
    ClientCalls.asyncServerStreamingCall(call, request, new StreamObserver<>() {
      @Override
      public void onNext(GenerateResponse response) {
        if (c.firstTokenNanos == 0 && response.getTokenIdsCount() > 0) {
          c.firstTokenNanos = System.nanoTime();
          if (kind < 2) {
            call.cancel("soak client cancels mid-stream", null);
          }
        }
        if (response.hasUsage()) {
          c.finished = true;
        }
      }

      @Override
      public void onError(Throwable t) {
        c.code = Status.fromThrowable(t).getCode();
        c.endNanos = System.nanoTime();
      }

      @Override
      public void onCompleted() {
        c.code = Status.Code.OK;
        c.endNanos = System.nanoTime();
      }
    });
    return c;
  }

  private static void churn(ManagedChannel channel, SplittableRandom random) {
    String name;
    int op;
    synchronized (random) {
      name = NAMES.get(random.nextInt(NAMES.size()));
      op = random.nextInt(3);
    }
    var models = ModelsGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    try {
      if (op == 0) {
        models.loadModel(LoadModelRequest.newBuilder().setName(name).build());
      } else {
        models.unloadModel(UnloadModelRequest.newBuilder().setName(name).setDrain(op == 1).build());
      }
    } catch (StatusRuntimeException e) {
      // FAILED_PRECONDITION (busy), RESOURCE_EXHAUSTED (no room now): part of the churn.
    }
  }

  /** Requests per second that 8 closed-loop clients get through. */
  private static double sustainedRate(ManagedChannel channel, Duration window) throws InterruptedException {
    AtomicInteger done = new AtomicInteger();
    long end = System.nanoTime() + window.toNanos();
    CountDownLatch clients = new CountDownLatch(8);
    for (int i = 0; i < 8; i++) {
      String model = NAMES.get(i % 2); // two models fit: the rate of the server, not of its churn
      Thread.ofPlatform().start(() -> {
        try {
          var stub = InferenceGrpc.newBlockingStub(channel);
          while (System.nanoTime() < end) {
            try {
              stub.withDeadlineAfter(120, TimeUnit.SECONDS)
                  .generate(LongRequests.ofTokens(TOKENS).toBuilder().setModel(model).build());
              done.incrementAndGet();
            } catch (StatusRuntimeException e) {
              // An injected failure: not counted, the client goes on.
            }
          }
        } finally {
          clients.countDown();
        }
      });
    }
    clients.await();
    return done.get() / (double) window.toSeconds();
  }

  private static long footprint(ModelSpec spec) throws Exception {
    ModelRegistry probe = new ModelRegistry(List.of(spec), new ModelLoader(ModelFamilies.builtIn(),
        OrtRuntime.create(RuntimeSettings.defaults())), RequestLimits.defaults(), BatchingSettings.defaults(),
        new ServerMetrics());
    probe.start();
    try {
      return probe.load(spec.name()).get(60, TimeUnit.SECONDS).reservedBytes();
    } finally {
      probe.drainAndClose(Duration.ZERO);
    }
  }
}
