package dev.vlm.scheduler;

/**
 * The serving loop is shutting down or has stopped and accepts no new requests. Maps to
 * UNAVAILABLE.
 *
 * <p>Immutable once thrown; thread-safe.
 */
public final class SchedulerClosedException extends SchedulerException {
  /**
   * Creates the exception.
   *
   * @param message says which loop is closed
   */
  public SchedulerClosedException(String message) {
    super(message);
  }
}
