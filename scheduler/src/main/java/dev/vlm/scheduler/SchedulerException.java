package dev.vlm.scheduler;

/**
 * Root of the scheduler's exceptions. Each subclass is one kind of refusal a caller can act on
 * and map to one status: a full queue, a duplicate id, a request that can never be served, a
 * closed loop.
 *
 * <p>Immutable once thrown; thread-safe.
 */
public abstract sealed class SchedulerException extends RuntimeException
    permits QueueFullException,
        DuplicateRequestException,
        InvalidRequestException,
        SchedulerClosedException {

  SchedulerException(String message) {
    super(message);
  }
}
