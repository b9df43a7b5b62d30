package dev.vlm.server.e2e;

import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.api.v1.LoadModelRequest;
import dev.vlm.api.v1.ModelInfo;
import dev.vlm.api.v1.ModelsGrpc;
import dev.vlm.api.v1.UnloadModelRequest;
import dev.vlm.server.TestData;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.ServerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Measures whether memory really comes back: loads the tiny model, serves one request, unloads
 * it, {@code N} times (default 50) through gRPC, and prints the process's resident memory
 * (VmRSS) after each unload and a garbage collection. Exits 1 if the last reading is more than 10% above the reading
 * after the first cycle. A program rather than a test: 50 cold loads take longer than a unit
 * test should.
 *
 * <p>Run: {@code java -cp <server test classpath> dev.vlm.server.e2e.LoadUnloadCycles [N]}
 */
public final class LoadUnloadCycles {
  private LoadUnloadCycles() {}

  /**
   * @param args optional cycle count
   * @throws Exception if the server cannot start or a call fails
   */
  public static void main(String[] args) throws Exception {
    int cycles = args.length > 0 ? Integer.parseInt(args[0]) : 50;
    List<Long> rss = new ArrayList<>();
    List<Long> loadMillis = new ArrayList<>();
    List<Long> heap = new ArrayList<>();
    try (RunningServer server = RunningServer.start(
        ServerConfig.of(0, List.of(new ModelSpec("tiny-llava", TestData.tinyLlava(), Optional.empty()))))) {
      var models = ModelsGrpc.newBlockingStub(server.channel);
      var inference = InferenceGrpc.newBlockingStub(server.channel);
      for (int i = 0; i < cycles; i++) {
        ModelInfo loaded = models.loadModel(LoadModelRequest.newBuilder().setName("tiny-llava").build());
        loadMillis.add(loaded.getLastLoadMillis());
        inference.generate(LongRequests.ofTokens(16));
        ModelInfo unloaded = models.unloadModel(UnloadModelRequest.newBuilder().setName("tiny-llava").build());
        if (unloaded.getReservedBytes() != 0) {
          throw new IllegalStateException("unloaded model still reserves " + unloaded.getReservedBytes() + " bytes");
        }
        // Garbage is not retained memory: collect it so the reading shows what the cycle kept.
        System.gc();
        rss.add(residentKib());
        heap.add((Runtime.getRuntime().totalMemory()) >> 10);
      }
    }
    long first = rss.get(0);
    long last = rss.get(rss.size() - 1);
    long max = rss.stream().mapToLong(Long::longValue).max().orElse(0);
    System.out.println("VmRSS after each unload (KiB): " + rss);
    System.out.println("Java heap committed after each unload (KiB): " + heap);
    System.out.println("load ms: " + loadMillis);
    System.out.printf("cycles %d: after first %d KiB, after last %d KiB (%+.1f%%), highest %d KiB (%+.1f%%)%n",
        cycles, first, last, 100.0 * (last - first) / first, max, 100.0 * (max - first) / first);
    if (last > first * 1.10) {
      System.out.println("FAIL: resident memory grew more than 10%");
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
