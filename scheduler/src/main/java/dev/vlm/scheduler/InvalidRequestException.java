package dev.vlm.scheduler;

/**
 * A request is malformed or could never be scheduled under the configured limits (for example
 * its prompt plus output cannot fit in the whole KV pool, or one image needs more encoder
 * tokens than a step allows). The message names the field or limit. Maps to INVALID_ARGUMENT.
 *
 * <p>Immutable once thrown; thread-safe.
 */
public final class InvalidRequestException extends SchedulerException {
  /**
   * Creates the exception.
   *
   * @param message names the offending field and value
   */
  public InvalidRequestException(String message) {
    super(message);
  }
}
