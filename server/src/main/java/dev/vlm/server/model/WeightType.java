package dev.vlm.server.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The weight types an ONNX export ships side by side in {@code onnx/}, with transformers.js'
 * names and file suffixes: {@code decoder_model_merged_q4.onnx} is the 4-bit decoder. A graph's
 * external data shares its file's stem ({@code decoder_model_merged_q4.onnx_data}).
 */
public enum WeightType {
  /** Float32 weights and activations: {@code X.onnx}. */
  FP32("fp32", ""),
  /** Float16 weights, activations, KV cache and logits: {@code X_fp16.onnx}. */
  FP16("fp16", "_fp16"),
  /** 8-bit weights, activations quantized per call (dynamic quantization): {@code X_quantized.onnx}. */
  Q8("q8", "_quantized"),
  /** Signed 8-bit dynamic quantization: {@code X_int8.onnx}. */
  INT8("int8", "_int8"),
  /** Unsigned 8-bit dynamic quantization: {@code X_uint8.onnx}. */
  UINT8("uint8", "_uint8"),
  /** 4-bit block-quantized MatMul weights ({@code MatMulNBits}), float32 elsewhere: {@code X_q4.onnx}. */
  Q4("q4", "_q4"),
  /** 4-bit MatMul weights with float16 everywhere else: {@code X_q4f16.onnx}. */
  Q4F16("q4f16", "_q4f16"),
  /** bitsandbytes-style 4-bit weights ({@code MatMulBnb4}): {@code X_bnb4.onnx}. */
  BNB4("bnb4", "_bnb4");

  private final String configName;
  private final String suffix;

  WeightType(String configName, String suffix) {
    this.configName = configName;
    this.suffix = suffix;
  }

  /** The name in configs, flags and transformers.js' {@code dtype} option, e.g. {@code q4f16}. */
  public String configName() {
    return configName;
  }

  /** The file of {@code graph} (e.g. {@code decoder_model_merged}) in this weight type, under {@code onnx/}. */
  public String fileName(String graph) {
    return "onnx/" + graph + suffix + ".onnx";
  }

  /**
   * Parses a config name, ignoring case.
   *
   * @throws IllegalArgumentException naming the valid names if {@code name} is none of them
   */
  public static WeightType parse(String name) {
    String wanted = name.trim().toLowerCase(Locale.ROOT);
    for (WeightType type : values()) {
      if (type.configName.equals(wanted)) {
        return type;
      }
    }
    throw new IllegalArgumentException("unknown dtype '" + name + "'; valid dtypes: " + validNames());
  }

  /** The valid config names, comma-separated, in declaration order. */
  public static String validNames() {
    return Arrays.stream(values()).map(WeightType::configName).collect(Collectors.joining(", "));
  }

  @Override
  public String toString() {
    return configName;
  }
}
