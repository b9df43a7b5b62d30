package dev.vlm.client.bench;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Accumulates the outcomes of one phase of a run: latency histograms in microseconds, token and
 * error counts.
 *
 * <p>Thread-safe: outcomes arrive on gRPC threads, snapshots are read by the progress reporter.
 * One short lock per finished request is far off the benchmark's critical path.
 */
final class Measurements {
  private static final int SIGNIFICANT_DIGITS = 3;

  private final Histogram ttft = new Histogram(SIGNIFICANT_DIGITS);
  private final Histogram tpot = new Histogram(SIGNIFICANT_DIGITS);
  private final Histogram e2e = new Histogram(SIGNIFICANT_DIGITS);
  private final Map<String, Long> errors = new TreeMap<>();
  private long completed;
  private long failed;
  private long outputTokens;

  /** Records how one request ended. */
  synchronized void record(Outcome outcome) {
    switch (outcome) {
      case Outcome.Success success -> recordSuccess(success);
      case Outcome.Failure failure -> {
        failed++;
        errors.merge(failure.code().name(), 1L, Long::sum);
      }
    }
  }

  private void recordSuccess(Outcome.Success success) {
    completed++;
    outputTokens += success.tokens();
    e2e.recordValue(micros(success.endNanos()));
    if (success.firstTokenNanos() >= 0) {
      ttft.recordValue(micros(success.firstTokenNanos()));
    }
    if (success.tokens() > 1) {
      long decodeNanos = success.lastTokenNanos() - success.firstTokenNanos();
      tpot.recordValue(micros(decodeNanos / (success.tokens() - 1)));
    }
  }

  /** Requests finished so far, successfully or not. */
  synchronized long done() {
    return completed + failed;
  }

  synchronized long failed() {
    return failed;
  }

  synchronized long outputTokens() {
    return outputTokens;
  }

  /** Builds the report of this phase. */
  synchronized BenchReport report(
      BenchConfig config, String specName, double seconds, long delayedArrivals) {
    double safeSeconds = Math.max(seconds, 1e-9);
    return new BenchReport(
        config,
        specName,
        seconds,
        completed,
        failed,
        errors,
        outputTokens,
        completed / safeSeconds,
        outputTokens / safeSeconds,
        delayedArrivals,
        LatencySummary.of(ttft),
        LatencySummary.of(tpot),
        LatencySummary.of(e2e));
  }

  private static long micros(long nanos) {
    return Math.max(0, TimeUnit.NANOSECONDS.toMicros(nanos));
  }
}
