package dev.vlm.server.metrics;

import java.time.Duration;
import java.util.Objects;
import java.util.logging.Logger;

/**
 * One line per finished generation request, on the logger {@value #LOGGER_NAME} at INFO, as
 * space-separated {@code key=value} pairs (values never contain spaces; times in milliseconds,
 * {@code -} when the request never got that far):
 *
 * <pre>
 * request_id=r-17 tenant=team-a model=tiny-llava status=OK prompt_tokens=42 output_tokens=16 queue_ms=3 ttft_ms=41 total_ms=388
 * </pre>
 *
 * Route that logger to its own file with the JUL configuration. Thread-safe.
 */
public final class AccessLog {
  /** The logger the lines go to. */
  public static final String LOGGER_NAME = "dev.vlm.server.access";

  private static final Logger log = Logger.getLogger(LOGGER_NAME);

  /**
   * One finished request.
   *
   * @param requestId the client's request id, or the server's if it sent none
   * @param status the gRPC status code name the call ended with
   * @param queued time before it first ran, if it ran
   * @param firstToken time to its first token, if it produced one
   */
  public record Entry(
      String requestId, String tenant, String model, String status, int promptTokens, int outputTokens,
      Duration queued, Duration firstToken, Duration total) {}

  private AccessLog() {}

  /** Writes the entry's line. */
  public static void write(Entry e) {
    log.info(() -> format(e));
  }

  /** The line for an entry. */
  public static String format(Entry e) {
    return "request_id=" + token(e.requestId()) + " tenant=" + token(e.tenant()) + " model=" + token(e.model())
        + " status=" + e.status() + " prompt_tokens=" + e.promptTokens() + " output_tokens=" + e.outputTokens()
        + " queue_ms=" + millis(e.queued()) + " ttft_ms=" + millis(e.firstToken()) + " total_ms=" + millis(e.total());
  }

  private static String millis(Duration d) {
    return d == null ? "-" : Long.toString(d.toMillis());
  }

  // Client-chosen strings (request id, model name) must not break the line format.
  private static String token(String value) {
    Objects.requireNonNull(value);
    if (value.isEmpty()) {
      return "-";
    }
    StringBuilder out = new StringBuilder(Math.min(value.length(), 128));
    value.codePoints().limit(128).forEach(c -> out.appendCodePoint(c > 0x20 && c < 0x7f && c != '=' ? c : '_'));
    return out.toString();
  }
}
