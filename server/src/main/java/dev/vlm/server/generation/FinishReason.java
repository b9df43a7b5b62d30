package dev.vlm.server.generation;

/** Why a generation ended. */
public enum FinishReason {
  /** The model produced an end-of-sequence token. */
  EOS,
  /** The output reached max_new_tokens or the model's context. */
  LENGTH,
  /** The output contained a stop string. */
  STOP,
  /** The request was cancelled before it finished. */
  CANCELLED
}
