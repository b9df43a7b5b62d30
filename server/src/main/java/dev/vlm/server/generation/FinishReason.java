package dev.vlm.server.generation;

/**
 * Why a generation completed. A request cut short (cancelled, past its deadline, stopped by a
 * shutdown or unload) does not complete: it ends with an error status instead (see {@code
 * RequestWork.cutShort}), so a truncated answer never looks like a success.
 */
public enum FinishReason {
  /** The model produced an end-of-sequence token. */
  EOS,
  /** The output reached max_new_tokens or the model's context. */
  LENGTH,
  /** The output contained a stop string. */
  STOP
}
