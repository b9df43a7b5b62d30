package dev.vlm.server.metrics;

/** Histogram bucket bounds, in seconds. */
final class Buckets {
  /**
   * Request latencies: a 1-2.5-5 ladder from 1 ms (one decode step of a small model) up to
   * 60 s (a long generation), close enough at every scale to read percentiles off.
   */
  static final double[] REQUEST_SECONDS = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60
  };

  /** Model loads: from a cached small model (tens of ms) to a large one from disk (minutes). */
  static final double[] LOAD_SECONDS = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600};

  private Buckets() {}
}
