package dev.vlm.server.model;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Which weight type each graph of a model is opened in: one for all graphs, or one per graph
 * (e.g. a float16 vision encoder with a 4-bit decoder). Immutable.
 */
public final class WeightTypes {
  private static final WeightTypes FP32 = uniform(WeightType.FP32);

  private final Map<ModelGraph, WeightType> byGraph;

  private WeightTypes(Map<ModelGraph, WeightType> byGraph) {
    this.byGraph = byGraph;
  }

  /** Float32 for every graph: the default. */
  public static WeightTypes fp32() {
    return FP32;
  }

  /** The same weight type for every graph. */
  public static WeightTypes uniform(WeightType type) {
    Objects.requireNonNull(type, "type");
    EnumMap<ModelGraph, WeightType> map = new EnumMap<>(ModelGraph.class);
    for (ModelGraph graph : ModelGraph.values()) {
      map.put(graph, type);
    }
    return new WeightTypes(map);
  }

  /**
   * Per graph; graphs not named are float32.
   *
   * @param byGraph weight type per graph
   */
  public static WeightTypes perGraph(Map<ModelGraph, WeightType> byGraph) {
    EnumMap<ModelGraph, WeightType> map = new EnumMap<>(ModelGraph.class);
    for (ModelGraph graph : ModelGraph.values()) {
      map.put(graph, byGraph.getOrDefault(graph, WeightType.FP32));
    }
    return new WeightTypes(map);
  }

  /**
   * Parses a flag value: one dtype name for all graphs ({@code q4}), or
   * {@code graph:dtype} pairs separated by commas ({@code vision_encoder:fp16,decoder_model_merged:q4}).
   *
   * @throws IllegalArgumentException naming the bad graph or dtype and the valid ones
   */
  public static WeightTypes parse(String text) {
    if (!text.contains(":")) {
      return uniform(WeightType.parse(text));
    }
    EnumMap<ModelGraph, WeightType> map = new EnumMap<>(ModelGraph.class);
    for (String pair : text.split(",")) {
      int colon = pair.indexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException("dtype '" + text + "': expected GRAPH:DTYPE pairs, got '" + pair + "'");
      }
      map.put(ModelGraph.ofStem(pair.substring(0, colon).trim()), WeightType.parse(pair.substring(colon + 1)));
    }
    return perGraph(map);
  }

  /** The weight type of {@code graph}. */
  public WeightType of(ModelGraph graph) {
    return byGraph.get(graph);
  }

  /** The file {@code graph} is opened from, e.g. {@code onnx/decoder_model_merged_q4.onnx}. */
  public String fileOf(ModelGraph graph) {
    return of(graph).fileName(graph.stem());
  }

  /** Whether every graph has the same weight type. */
  public boolean isUniform() {
    return byGraph.values().stream().distinct().count() == 1;
  }

  /** Weight type per graph stem, in graph order. */
  public Map<String, String> describe() {
    return byGraph.entrySet().stream().collect(Collectors.toMap(
        e -> e.getKey().stem(), e -> e.getValue().configName(), (a, b) -> a, LinkedHashMap::new));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WeightTypes other && byGraph.equals(other.byGraph);
  }

  @Override
  public int hashCode() {
    return byGraph.hashCode();
  }

  /** One name if uniform ({@code q4}), else {@code graph:dtype} pairs, as {@link #parse} reads them. */
  @Override
  public String toString() {
    if (isUniform()) {
      return byGraph.get(ModelGraph.DECODER).configName();
    }
    return byGraph.entrySet().stream()
        .map(e -> e.getKey().stem() + ":" + e.getValue().configName())
        .collect(Collectors.joining(","));
  }
}
