package dev.vlm.server.e2e;

import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.api.v1.LoadModelRequest;
import dev.vlm.api.v1.ModelInfo;
import dev.vlm.api.v1.ModelsGrpc;
import dev.vlm.api.v1.UnloadModelRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Measures whether memory really comes back: {@code N} cycles (default 50) of loading three
 * models (the concatenating LLaVA, the in-place GQA LLaVA, Qwen2-VL), serving one request on each
 * and unloading them, through gRPC, reading the process's resident memory (VmRSS) after each
 * cycle's unloads, with no explicit garbage collection. Exits 1 if any reading after the first
 * cycle is more than 10% above the first. Also prints the C allocator's bytes in use per cycle.
 *
 * <p>A program, run in a JVM of its own with a fixed, pre-touched heap, so the reading is not
 * the heap's own growth: by {@link LoadUnloadCyclesTest} in CI, {@code bench/rss_cycles.sh}, or
 * {@code java -Xms256m -Xmx256m -XX:+AlwaysPreTouch -cp <server test classpath>
 * dev.vlm.server.e2e.LoadUnloadCycles [N]}.
 */
public final class LoadUnloadCycles {
  private static final List<String> MODELS = List.of("tiny-llava", "tiny-llava-gqa", "tiny-qwen2-vl");

  private LoadUnloadCycles() {}

  /**
   * @param args optional cycle count
   * @throws Exception if the server cannot start or a call fails
   */
  public static void main(String[] args) throws Exception {
    int cycles = args.length > 0 ? Integer.parseInt(args[0]) : 50;
    List<Long> rss = new ArrayList<>();
    List<Long> heap = new ArrayList<>();
    List<Long> malloc = new ArrayList<>();
    try (RunningServer server = RunningServer.serving(MODELS)) {
      var models = ModelsGrpc.newBlockingStub(server.channel);
      var inference = InferenceGrpc.newBlockingStub(server.channel);
      for (int i = 0; i < cycles; i++) {
        for (String name : MODELS) {
          models.loadModel(LoadModelRequest.newBuilder().setName(name).build());
          inference.generate(LongRequests.ofTokens(16).toBuilder().setModel(name).build());
          ModelInfo unloaded = models.unloadModel(UnloadModelRequest.newBuilder().setName(name).build());
          if (unloaded.getReservedBytes() != 0) {
            throw new IllegalStateException(name + " still reserves " + unloaded.getReservedBytes() + " bytes unloaded");
          }
        }
        rss.add(residentKib());
        heap.add(Runtime.getRuntime().totalMemory() >> 10);
        malloc.add(MallocStats.inUseBytes().orElse(-1L) >> 10);
      }
    }
    long first = rss.get(0);
    long last = rss.get(rss.size() - 1);
    long max = rss.stream().mapToLong(Long::longValue).max().orElse(0);
    System.out.println("VmRSS after each cycle's unloads (KiB): " + rss);
    System.out.println("Java heap committed after each cycle (KiB): " + heap);
    System.out.println("C allocator in use after each cycle (KiB): " + malloc);
    System.out.printf("cycles %d of %s: after first %d KiB, after last %d KiB (%+.1f%%), highest %d KiB (%+.1f%%)%n",
        cycles, MODELS, first, last, 100.0 * (last - first) / first, max, 100.0 * (max - first) / first);
    if (max > first * 1.10) {
      System.out.println("FAIL: resident memory grew more than 10% after the first cycle");
      System.exit(1);
    }
  }

  /** VmRSS from /proc/self/status, in KiB (Linux). */
  static long residentKib() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }
}
