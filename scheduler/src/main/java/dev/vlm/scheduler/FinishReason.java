package dev.vlm.scheduler;

/**
 * Why a request ended. Exactly one is reported per request.
 *
 * <p>Immutable, thread-safe.
 */
public enum FinishReason {
  /** The engine sampled an end-of-sequence token (the token is part of the output). */
  EOS,
  /** The engine matched a stop condition such as a stop string. */
  STOP,
  /** The output reached the request's {@code maxNewTokens}. */
  LENGTH,
  /** The request was cancelled by its client or by the server. */
  ABORTED,
  /** The request's deadline passed before it finished, while waiting or while running. */
  DEADLINE_EXCEEDED,
  /** The engine failed on a step that included this request. */
  ERROR,
  /** The serving loop shut down before the request finished. */
  SHUTDOWN;

  /** True for the reasons that mean the generation completed normally. */
  public boolean isCompleted() {
    return this == EOS || this == STOP || this == LENGTH;
  }
}
