package dev.vlm.server.e2e;

import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.api.v1.LoadModelRequest;
import dev.vlm.api.v1.ModelsGrpc;
import dev.vlm.api.v1.UnloadModelRequest;
import dev.vlm.server.TestData;
import dev.vlm.server.VlmServer;
import dev.vlm.server.config.RequestLimits;
import dev.vlm.server.config.ServerConfig;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The gRPC fuzz run: {@link HostileRequests} from several client threads against a real server
 * serving every family, counting the status of every call. Passing means no INTERNAL or UNKNOWN,
 * no call hanging to its long deadline, the server healthy and serving afterwards, and native
 * memory (resident set minus the committed Java heap) within 256 MiB of its level after warm-up.
 *
 * <p>{@link GrpcFuzzTest} runs a short seeded run in CI; {@code bench/fuzz.sh} runs {@link #main}
 * for 10,000 requests.
 */
final class GrpcFuzz {
  static final List<String> MODELS = List.of("tiny-llava", "tiny-llava-gqa", "tiny-idefics3", "tiny-smolvlm",
      "tiny-qwen2-vl", "tiny-qwen2.5-vl", "tiny-lfm2-vl", "tiny-idefics2", "tiny-blip2", "tiny-kosmos2.5");
  private static final Duration FIRST_CALL_TIMEOUT = Duration.ofSeconds(120);
  /**
   * What the C allocator may hold more after a run than after warm-up, direct buffers aside: the
   * tokenizers' and the JIT compiler's own memory (measured +13 to +31 MB). ONNX Runtime's CPU
   * arena, when it was on, kept +134 MB here.
   */
  static final long MALLOC_GROWTH_ALLOWED_BYTES = 64L << 20;

  /** What a run saw. */
  record Report(
      int calls, Map<Status.Code, Integer> codes, List<String> forbidden, boolean healthyAfter,
      long nativeBaselineBytes, long nativeAfterBytes, long rssBaselineBytes, long rssAfterBytes,
      long directBaselineBytes, long directAfterBytes, long mallocBaselineBytes, long mallocAfterBytes,
      Duration took) {

    boolean passed(long nativeGrowthAllowedBytes) {
      return forbidden.isEmpty() && healthyAfter && nativeAfterBytes <= nativeBaselineBytes + nativeGrowthAllowedBytes
          && mallocGrowthBytes() <= MALLOC_GROWTH_ALLOWED_BYTES;
    }

    /**
     * Growth of what the C allocator has handed out, less the growth of direct buffers (also
     * malloc'ed, but freed by the collector, not by the code that used them); 0 where it cannot
     * be read.
     */
    long mallocGrowthBytes() {
      if (mallocBaselineBytes < 0) {
        return 0;
      }
      return (mallocAfterBytes - mallocBaselineBytes) - Math.max(0, directAfterBytes - directBaselineBytes);
    }

    String summary() {
      return String.format("%d calls in %d s: %s; forbidden %d; healthy after %b; RSS %d -> %d MB; native (RSS -"
              + " committed heap) %d -> %d MB (%+.1f%%), of which direct buffers %d -> %d MB; C allocator in use"
          + " %d -> %d MB (%+d MB beyond direct buffers)",
          calls, took.toSeconds(), codes, forbidden.size(), healthyAfter, rssBaselineBytes >> 20, rssAfterBytes >> 20,
          nativeBaselineBytes >> 20, nativeAfterBytes >> 20,
          100.0 * (nativeAfterBytes - nativeBaselineBytes) / nativeBaselineBytes,
          directBaselineBytes >> 20, directAfterBytes >> 20, mallocBaselineBytes >> 20, mallocAfterBytes >> 20,
          mallocGrowthBytes() >> 20);
    }
  }

  private GrpcFuzz() {}

  /** A server for the run: every family, images up to 4 MiB, a short shutdown grace. */
  static ServerConfig config() {
    RequestLimits d = RequestLimits.defaults();
    return ServerConfig.of(0, RunningServer.fixtures(MODELS)).withLimits(new RequestLimits(4 << 20, d.maxImagePixels(), d.maxImagesPerRequest(),
        d.maxQueuedRequestsPerModel(), d.defaultMaxNewTokens(), d.maxPendingStreamMessages()));
  }

  /**
   * Runs until {@code calls} calls are made or {@code limit} has passed.
   *
   * @param threads concurrent clients, each with its own seeded generator
   */
  static Report run(VlmServer server, long seed, int calls, Duration limit, int threads) throws Exception {
    ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext()
        .maxInboundMessageSize(64 << 20).build();
    try {
      warmUp(channel);
      long heapBaseline = committedHeap();
      long rssBaseline = residentBytes();
      long directBaseline = directBytes();
      long mallocBaseline = MallocStats.inUseBytes().orElse(-1L);
      Map<Status.Code, AtomicInteger> codes = new ConcurrentHashMap<>();
      List<String> forbidden = Collections.synchronizedList(new ArrayList<>());
      AtomicInteger made = new AtomicInteger();
      long start = System.nanoTime();
      long end = start + limit.toNanos();
      byte[] good = TestData.bytes("testdata/images/noise_32.png");
      for (HostileRequests.Call call : HostileRequests.sweep(MODELS, good)) {
        made.incrementAndGet();
        record(channel, call, codes, forbidden);
      }
      List<Thread> clients = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        HostileRequests requests = new HostileRequests(seed * 1000 + t, MODELS, good);
        clients.add(Thread.ofPlatform().name("fuzz-client-" + t).start(() -> {
          while (made.getAndIncrement() < calls && System.nanoTime() < end) {
            record(channel, requests.next(), codes, forbidden);
          }
        }));
      }
      for (Thread client : clients) {
        client.join();
      }
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      boolean healthy = healthy(channel);
      // Let cancelled and cut requests finish and unloads settle before reading memory.
      Thread.sleep(2000);
      warmUp(channel);
      long rssAfter = residentBytes();
      long heapAfter = committedHeap();
      long directAfter = directBytes();
      long mallocAfter = MallocStats.inUseBytes().orElse(-1L);
      Map<Status.Code, Integer> counted = new EnumMap<>(Status.Code.class);
      codes.forEach((code, n) -> counted.put(code, n.get()));
      int total = counted.values().stream().mapToInt(Integer::intValue).sum();
      return new Report(total, counted, List.copyOf(forbidden), healthy, rssBaseline - heapBaseline,
          rssAfter - heapAfter, rssBaseline, rssAfter, directBaseline, directAfter, mallocBaseline, mallocAfter,
          took);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** Makes one call and counts its status; INTERNAL, UNKNOWN or a hang is recorded as forbidden. */
  private static void record(ManagedChannel channel, HostileRequests.Call call,
      Map<Status.Code, AtomicInteger> codes, List<String> forbidden) {
    Status.Code code = make(channel, call);
    codes.computeIfAbsent(code, c -> new AtomicInteger()).incrementAndGet();
    if (code == Status.Code.INTERNAL || code == Status.Code.UNKNOWN
        || (code == Status.Code.DEADLINE_EXCEEDED && call instanceof HostileRequests.Generate g
            && g.deadlineMillis() == HostileRequests.NORMAL_DEADLINE_MILLIS)) {
      forbidden.add(code + " for " + describe(call));
    }
  }

  /** One good request per model, so every model is loaded and has run once. */
  private static void warmUp(ManagedChannel channel) {
    for (String model : MODELS) {
      InferenceGrpc.newBlockingStub(channel).withDeadlineAfter(FIRST_CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS)
          .generate(LongRequests.ofTokens(3).toBuilder().setModel(model).build());
    }
  }

  private static boolean healthy(ManagedChannel channel) {
    try {
      HealthCheckResponse health = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance());
      warmUp(channel);
      return health.getStatus() == HealthCheckResponse.ServingStatus.SERVING;
    } catch (StatusRuntimeException e) {
      return false;
    }
  }

  private static Status.Code make(ManagedChannel channel, HostileRequests.Call call) {
    try {
      switch (call) {
        case HostileRequests.Raw raw -> ClientCalls.blockingUnaryCall(channel, HostileInputTest.RAW_GENERATE,
            CallOptions.DEFAULT.withDeadlineAfter(HostileRequests.NORMAL_DEADLINE_MILLIS, TimeUnit.MILLISECONDS),
            raw.body());
        case HostileRequests.Residency r -> {
          var models = ModelsGrpc.newBlockingStub(channel)
              .withDeadlineAfter(HostileRequests.NORMAL_DEADLINE_MILLIS, TimeUnit.MILLISECONDS);
          if (r.load()) {
            models.loadModel(LoadModelRequest.newBuilder().setName(r.model()).build());
          } else {
            models.unloadModel(UnloadModelRequest.newBuilder().setName(r.model()).setDrain(r.drain()).build());
          }
        }
        case HostileRequests.Generate g when !g.stream() -> InferenceGrpc.newBlockingStub(channel)
            .withDeadlineAfter(g.deadlineMillis(), TimeUnit.MILLISECONDS).generate(g.request());
        case HostileRequests.Generate g -> {
          return stream(channel, g);
        }
      }
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  private static Status.Code stream(ManagedChannel channel, HostileRequests.Generate g) {
    CompletableFuture<Status.Code> done = new CompletableFuture<>();
    AtomicInteger seen = new AtomicInteger();
    io.grpc.ClientCall<dev.vlm.api.v1.GenerateRequest, GenerateResponse> call = channel.newCall(
        InferenceGrpc.getGenerateStreamMethod(),
        CallOptions.DEFAULT.withDeadlineAfter(g.deadlineMillis(), TimeUnit.MILLISECONDS));
    ClientCalls.asyncServerStreamingCall(call, g.request(), new StreamObserver<>() {
      @Override
      public void onNext(GenerateResponse value) {
        if (seen.incrementAndGet() == g.cancelAfter() + 1 && g.cancelAfter() >= 0) {
          call.cancel("fuzz client cancels", null);
        }
      }

      @Override
      public void onError(Throwable t) {
        Status.Code code = Status.fromThrowable(t).getCode();
        // The client's own cancel is reported locally as CANCELLED: not the server's answer.
        done.complete(code);
      }

      @Override
      public void onCompleted() {
        done.complete(Status.Code.OK);
      }
    });
    try {
      return done.get(g.deadlineMillis() + 30_000, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      return Status.Code.DEADLINE_EXCEEDED;
    }
  }

  private static String describe(HostileRequests.Call call) {
    String text = call.toString();
    return text.length() > 400 ? text.substring(0, 400) + "..." : text;
  }

  /** VmRSS of this process. */
  static long residentBytes() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
      }
    }
    throw new IOException("no VmRSS in /proc/self/status");
  }

  /** Bytes of direct buffers not yet freed (they are freed only when the collector finds them). */
  private static long directBytes() {
    return ManagementFactory.getPlatformMXBeans(java.lang.management.BufferPoolMXBean.class).stream()
        .filter(pool -> pool.getName().equals("direct"))
        .mapToLong(java.lang.management.BufferPoolMXBean::getMemoryUsed)
        .sum();
  }

  private static long committedHeap() {
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted();
  }

  /**
   * Runs the fuzz against a fresh server: {@code [calls] [seed] [threads] [minutes] [rounds]}
   * (defaults 10000, 1, 4, 60, 1). With several rounds (seeds {@code seed}, {@code seed+1}, ...)
   * each round's native memory is measured from the end of the one before, which tells a one-off
   * growth from a leak. Prints each round's report; exits 1 if one did not pass.
   */
  public static void main(String[] args) throws Exception {
    int calls = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    long seed = args.length > 1 ? Long.parseLong(args[1]) : 1;
    int threads = args.length > 2 ? Integer.parseInt(args[2]) : 4;
    Duration limit = Duration.ofMinutes(args.length > 3 ? Long.parseLong(args[3]) : 60);
    int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 1;
    boolean passed = true;
    try (VlmServer server = VlmServer.start(config())) {
      for (int round = 0; round < rounds; round++) {
        Report report = run(server, seed + round, calls, limit, threads);
        System.out.println("round " + (round + 1) + ": " + report.summary());
        report.forbidden().stream().limit(20).forEach(f -> System.out.println("  " + f));
        passed &= report.passed(256L << 20);
      }
    }
    System.exit(passed ? 0 : 1);
  }
}
