package dev.vlm.server.engine;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.vlm.server.config.RuntimeSettings;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Measures the two limits a decode step runs into, as ONNX Runtime sees them on this machine
 * with the server's session options: float32 FLOP/s of a large MatMul, and read bandwidth of a
 * MatMul that streams a 256 MiB weight once per call (bench/roofline_graphs.py writes both
 * graphs). bench/summarize.py sets each measured step against them. Best of several runs, so
 * that a busy neighbour lowers the figure as little as possible.
 *
 * <p>Run with the server jar and the test classes on the class path; see bench/run.sh.
 */
final class RooflineProbe {
  private static final int GEMM_ROWS = 2048;
  private static final int RUNS = 8;

  private RooflineProbe() {}

  /**
   * Times both graphs and writes {@code {"gflops": .., "read_gbps": ..}}.
   *
   * @param args {@code GRAPH_DIR JSON_OUT}
   * @throws IOException if the result cannot be written
   * @throws OrtException if ONNX Runtime fails
   */
  public static void main(String[] args) throws IOException, OrtException {
    Path dir = Path.of(args[0]);
    OrtRuntime runtime = OrtRuntime.create(RuntimeSettings.defaults());
    double gemmSeconds = bestSeconds(runtime, dir.resolve("gemm.onnx"), GEMM_ROWS, 768);
    double gflops = 2.0 * GEMM_ROWS * 768 * 3072 / gemmSeconds / 1e9;
    double gemvSeconds = bestSeconds(runtime, dir.resolve("gemv.onnx"), 1, 4096);
    double readGbps = 4.0 * 4096 * 16384 / gemvSeconds / 1e9;
    System.out.printf(Locale.ROOT, "roofline: %.1f GFLOP/s (float32 MatMul %dx768x3072), %.1f GB/s "
        + "(MatMul streaming a 256 MiB weight)%n", gflops, GEMM_ROWS, readGbps);
    Files.writeString(Path.of(args[1]), String.format(Locale.ROOT,
        "{\"gflops\": %.2f, \"read_gbps\": %.2f}%n", gflops, readGbps));
  }

  private static double bestSeconds(OrtRuntime runtime, Path graph, int rows, int cols) throws OrtException {
    float[] input = new float[rows * cols];
    java.util.Arrays.fill(input, 0.5f);
    double best = Double.MAX_VALUE;
    try (OrtSession session = runtime.open(graph);
        OnnxTensor x = OnnxTensor.createTensor(runtime.env(), FloatBuffer.wrap(input), new long[] {rows, cols})) {
      for (int run = 0; run < RUNS + 1; run++) {
        long start = System.nanoTime();
        try (OrtSession.Result ignored = session.run(Map.of("x", x))) {
          double seconds = (System.nanoTime() - start) / 1e9;
          if (run > 0) { // the first run pays for lazy initialisation
            best = Math.min(best, seconds);
          }
        }
      }
    }
    return best;
  }
}
