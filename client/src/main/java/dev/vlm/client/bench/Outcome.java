package dev.vlm.client.bench;

import io.grpc.Status;

/** How one request ended, with its timings in nanoseconds since it was issued (or due). */
sealed interface Outcome {
  /**
   * A completed request.
   *
   * @param tokens output tokens received (token ids counted over all messages)
   * @param firstTokenNanos when the first message with tokens arrived, or -1 if none did
   * @param lastTokenNanos when the last message with tokens arrived, or -1 if none did
   * @param endNanos when the stream completed
   */
  record Success(long tokens, long firstTokenNanos, long lastTokenNanos, long endNanos)
      implements Outcome {}

  /**
   * A failed request.
   *
   * @param code the status the call ended with
   */
  record Failure(Status.Code code) implements Outcome {}
}
