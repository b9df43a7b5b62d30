package dev.vlm.server.errors;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/** A queue, size or memory limit is reached; the client may retry later or ask for less. */
public final class ResourceExhaustedException extends VlmException {
  private final Duration retryAfter;

  public ResourceExhaustedException(String message) {
    super(message);
    this.retryAfter = null;
  }

  /**
   * @param retryAfter when a retry may succeed; sent to the client as {@code google.rpc.RetryInfo}
   */
  public ResourceExhaustedException(String message, Duration retryAfter) {
    super(message);
    this.retryAfter = Objects.requireNonNull(retryAfter, "retryAfter");
  }

  /** When a retry may succeed, if the limit says. */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }
}
