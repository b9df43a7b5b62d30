package dev.vlm.client.bench;

import java.util.Locale;

/**
 * A snapshot of a run in progress, for a progress line.
 *
 * @param done measured requests finished (successfully or not)
 * @param total measured requests planned, or 0 when the run is bounded by time
 * @param failed measured requests that failed
 * @param elapsedSeconds time since measuring started
 * @param plannedSeconds the run's planned length when bounded by time, else 0
 * @param requestsPerSecond finished requests per second so far
 * @param tokensPerSecond output tokens per second so far
 */
public record Progress(
    long done,
    long total,
    long failed,
    double elapsedSeconds,
    double plannedSeconds,
    double requestsPerSecond,
    double tokensPerSecond) {
  /**
   * Renders the snapshot as one line, e.g. {@code 37/100 req  12.3 req/s  456.7 tok/s  0 err}.
   *
   * @return the line, without line break
   */
  public String line() {
    String count =
        total > 0
            ? done + "/" + total + " req"
            : String.format(
                Locale.ROOT, "%d req  %.0f/%.0fs", done, elapsedSeconds, plannedSeconds);
    return String.format(
        Locale.ROOT,
        "%s  %.1f req/s  %.1f tok/s  %d err", count, requestsPerSecond, tokensPerSecond, failed);
  }
}
