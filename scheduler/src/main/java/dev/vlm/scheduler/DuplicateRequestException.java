package dev.vlm.scheduler;

/**
 * A request with the same id is still in flight. Ids must be unique among live requests.
 * Maps to ALREADY_EXISTS (or INVALID_ARGUMENT if ids come from the server itself).
 *
 * <p>Immutable once thrown; thread-safe.
 */
public final class DuplicateRequestException extends SchedulerException {
  /**
   * Creates the exception.
   *
   * @param message names the id
   */
  public DuplicateRequestException(String message) {
    super(message);
  }
}
