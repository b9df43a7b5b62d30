package dev.vlm.client.bench;

import org.HdrHistogram.Histogram;

/**
 * Percentiles of one latency, in milliseconds (recorded in microseconds, so sub-millisecond
 * values keep three significant digits).
 *
 * @param count how many values were recorded
 * @param meanMs the mean
 * @param p50Ms the median
 * @param p90Ms the 90th percentile
 * @param p99Ms the 99th percentile
 * @param maxMs the largest value
 */
public record LatencySummary(
    long count, double meanMs, double p50Ms, double p90Ms, double p99Ms, double maxMs) {
  /** The summary of nothing recorded: all zero. */
  public static final LatencySummary EMPTY = new LatencySummary(0, 0, 0, 0, 0, 0);

  /** Summarises a histogram of microseconds. */
  static LatencySummary of(Histogram micros) {
    if (micros.getTotalCount() == 0) {
      return EMPTY;
    }
    return new LatencySummary(
        micros.getTotalCount(),
        micros.getMean() / 1000.0,
        micros.getValueAtPercentile(50) / 1000.0,
        micros.getValueAtPercentile(90) / 1000.0,
        micros.getValueAtPercentile(99) / 1000.0,
        micros.getMaxValue() / 1000.0);
  }
}
