package dev.vlm.scheduler;

/**
 * Something that happened to one request: a generated token, or its end. For each request the
 * scheduler emits tokens in order, then exactly one {@link Finished}.
 *
 * <p>Immutable, thread-safe.
 */
public sealed interface RequestEvent {
  /** The request this event is about. */
  String requestId();

  /**
   * A newly generated token.
   *
   * @param requestId the request
   * @param tokenId the sampled token id
   * @param index the token's index in the output, from 0
   */
  record Token(String requestId, int tokenId, int index) implements RequestEvent {}

  /**
   * The request ended; its KV blocks are already free.
   *
   * @param requestId the request
   * @param reason why it ended
   * @param promptTokens the prompt's length
   * @param generatedTokens tokens generated (and emitted as {@link Token}s)
   * @param imageTokens prompt positions filled by image encoder output
   * @param preemptions how often the request was preempted and recomputed
   * @param detail human-readable cause for {@code ERROR} and similar; empty otherwise
   */
  record Finished(
      String requestId,
      FinishReason reason,
      int promptTokens,
      int generatedTokens,
      int imageTokens,
      int preemptions,
      String detail)
      implements RequestEvent {}
}
