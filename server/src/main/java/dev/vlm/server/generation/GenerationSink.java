package dev.vlm.server.generation;

import java.time.Duration;

/**
 * Receives one request's output as it is generated. Called from the model's thread, in order:
 * at most one {@link #onStarted}, any number of {@link #onTokens}, then exactly one of {@link
 * #onFinish} or {@link #onError}.
 * Implementations must not block.
 */
public interface GenerationSink {
  /** The request ran for the first time, after waiting this long in the model's queue. */
  default void onStarted(Duration queued) {}

  /**
   * New tokens and the text they complete. The text may be empty while a UTF-8 character or a
   * possible stop string is incomplete; it is released with a later call.
   */
  void onTokens(int[] tokenIds, String text);

  /** Generation ended normally or was cancelled. */
  void onFinish(FinishReason reason, Usage usage);

  /** Generation failed; the exception says why (see {@code dev.vlm.server.errors}). */
  void onError(RuntimeException error);
}
