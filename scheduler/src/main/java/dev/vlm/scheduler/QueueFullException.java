package dev.vlm.scheduler;

/**
 * The waiting queue already holds its maximum number of not-yet-admitted requests; the client
 * may retry later. Maps to RESOURCE_EXHAUSTED.
 *
 * <p>Immutable once thrown; thread-safe.
 */
public final class QueueFullException extends SchedulerException {
  /**
   * Creates the exception.
   *
   * @param message names the limit that was hit
   */
  public QueueFullException(String message) {
    super(message);
  }
}
