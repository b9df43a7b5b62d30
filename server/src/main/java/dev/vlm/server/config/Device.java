package dev.vlm.server.config;

import java.util.Locale;

/** Where ONNX Runtime executes the models. */
public enum Device {
  CPU,
  CUDA;

  /**
   * @throws IllegalArgumentException naming the accepted values
   */
  public static Device parse(String text) {
    return switch (text.toLowerCase(Locale.ROOT)) {
      case "cpu" -> CPU;
      case "cuda", "gpu" -> CUDA;
      default -> throw new IllegalArgumentException("device must be 'cpu' or 'cuda', got '" + text + "'");
    };
  }
}
