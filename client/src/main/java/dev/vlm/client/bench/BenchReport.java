package dev.vlm.client.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The result of a benchmark run: throughput, latency percentiles and errors of the measured
 * requests (warmup excluded).
 *
 * <p>Latencies cover completed requests only. Time to first token (TTFT) and end-to-end latency
 * (E2E) run from the moment a request was issued, or in open loop from the moment it was due,
 * so that a server falling behind shows up in the numbers rather than slowing the arrivals. Time
 * per output token (TPOT) is {@code (last token - first token) / (tokens - 1)} for requests
 * with at least two tokens.
 *
 * <p>{@link #toJson} writes snake_case fields: {@code config} (the {@link BenchConfig}), {@code
 * spec}, {@code duration_seconds}, {@code completed}, {@code failed}, {@code errors} (status
 * name to count), {@code output_tokens}, {@code requests_per_second}, {@code
 * output_tokens_per_second}, {@code delayed_arrivals}, and {@code ttft}, {@code tpot}, {@code
 * e2e} each with {@code count}, {@code mean_ms}, {@code p50_ms}, {@code p90_ms}, {@code p99_ms},
 * {@code max_ms}.
 *
 * @param config how the load was driven
 * @param spec which request mix was used (a file name, or "built-in default")
 * @param durationSeconds from the first measured request to the end of the last
 * @param completed requests that completed
 * @param failed requests that failed
 * @param errors failed requests by gRPC status name (e.g. RESOURCE_EXHAUSTED), name order
 * @param outputTokens output tokens of the completed requests
 * @param requestsPerSecond completed requests per second
 * @param outputTokensPerSecond output tokens of completed requests per second
 * @param delayedArrivals open loop: arrivals that found the in-flight cap reached and waited
 * @param ttft time to first token
 * @param tpot time per output token after the first
 * @param e2e end-to-end latency
 */
public record BenchReport(
    BenchConfig config,
    String spec,
    double durationSeconds,
    long completed,
    long failed,
    Map<String, Long> errors,
    long outputTokens,
    double requestsPerSecond,
    double outputTokensPerSecond,
    long delayedArrivals,
    LatencySummary ttft,
    LatencySummary tpot,
    LatencySummary e2e) {
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(SerializationFeature.INDENT_OUTPUT)
          .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /** Copies the error counts into name order. */
  public BenchReport {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(spec, "spec");
    errors = Collections.unmodifiableMap(new TreeMap<>(errors));
    Objects.requireNonNull(ttft, "ttft");
    Objects.requireNonNull(tpot, "tpot");
    Objects.requireNonNull(e2e, "e2e");
  }

  /**
   * Writes the report as indented JSON.
   *
   * @return the JSON text
   */
  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the report as JSON", e);
    }
  }

  /**
   * Reads a report written by {@link #toJson}. Unknown fields are ignored, so that reports of
   * newer versions stay readable.
   *
   * @param json the JSON text
   * @return the report
   * @throws IllegalArgumentException if the text is not a report
   */
  public static BenchReport fromJson(String json) {
    try {
      return JSON.readValue(json, BenchReport.class);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not a benchmark report: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * Renders the report as a table for people.
   *
   * @return several lines, each ending with a line break
   */
  public String table() {
    StringBuilder out = new StringBuilder();
    String load =
        config.openLoop()
            ? String.format(Locale.ROOT, "open loop, %.2f req/s (cap %d in flight)",
                config.rate(), config.maxInFlight())
            : "closed loop, concurrency " + config.concurrency();
    out.append(String.format(Locale.ROOT, "model        %s%n", config.model()));
    out.append(String.format(Locale.ROOT, "load         %s, seed %d%n", load, config.seed()));
    out.append(String.format(Locale.ROOT, "spec         %s%n", spec));
    out.append(String.format(Locale.ROOT, "duration     %.2f s%n", durationSeconds));
    out.append(
        String.format(Locale.ROOT, "requests     %d completed, %d failed%n", completed, failed));
    errors.forEach(
        (code, count) -> out.append(String.format(Locale.ROOT, "  %-24s %d%n", code, count)));
    if (delayedArrivals > 0) {
      out.append(String.format(Locale.ROOT, "delayed      %d arrivals waited for the cap%n",
          delayedArrivals));
    }
    out.append(
        String.format(
            Locale.ROOT,
            "throughput   %.2f req/s, %.1f output tok/s (%d tokens)%n",
            requestsPerSecond,
            outputTokensPerSecond,
            outputTokens));
    out.append(String.format(Locale.ROOT, "%n%-12s %8s %10s %10s %10s %10s %10s%n",
        "latency (ms)", "count", "mean", "p50", "p90", "p99", "max"));
    row(out, "TTFT", ttft);
    row(out, "TPOT", tpot);
    row(out, "E2E", e2e);
    return out.toString();
  }

  private static void row(StringBuilder out, String label, LatencySummary s) {
    out.append(String.format(Locale.ROOT, "%-12s %8d %10.2f %10.2f %10.2f %10.2f %10.2f%n",
        label, s.count(), s.meanMs(), s.p50Ms(), s.p90Ms(), s.p99Ms(), s.maxMs()));
  }
}
