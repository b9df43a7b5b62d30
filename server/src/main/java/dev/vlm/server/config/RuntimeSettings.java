package dev.vlm.server.config;

/**
 * How ONNX Runtime runs: device and thread pools.
 *
 * @param device CPU or CUDA execution provider
 * @param cudaDeviceId which GPU, with {@link Device#CUDA}
 * @param intraOpThreads threads inside one operator; 0 lets ONNX Runtime choose (one per core)
 * @param interOpThreads threads across independent operators; 0 lets ONNX Runtime choose
 */
public record RuntimeSettings(Device device, int cudaDeviceId, int intraOpThreads, int interOpThreads) {
  public RuntimeSettings {
    if (intraOpThreads < 0 || interOpThreads < 0) {
      throw new IllegalArgumentException("thread counts must be >= 0 (0 = let ONNX Runtime choose)");
    }
    if (cudaDeviceId < 0) {
      throw new IllegalArgumentException("cuda device id must be >= 0");
    }
  }

  /** CPU, with ONNX Runtime's own thread choice. */
  public static RuntimeSettings defaults() {
    return new RuntimeSettings(Device.CPU, 0, 0, 0);
  }
}
