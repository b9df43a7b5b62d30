package dev.vlm.server.model;

import java.util.Arrays;

/**
 * The decoder's rotary positions for a prompt whose positions are not its cache indices
 * (Qwen2-VL's multimodal RoPE): three rows (temporal, height, width) over the prompt, and the
 * offset every later token adds to its cache index on all rows.
 *
 * @param prefill {@code [3][prompt length]} position ids of the prompt's tokens
 * @param ropeDelta what a token after the prompt adds to its cache index
 */
public record PromptPositions(long[][] prefill, long ropeDelta) {
  private static final int ROWS = 3;

  /**
   * Checks the shape.
   *
   * @throws IllegalArgumentException if {@code prefill} has not three rows of one length
   */
  public PromptPositions {
    if (prefill == null || prefill.length != ROWS) {
      throw new IllegalArgumentException("prompt positions need 3 rows (temporal, height, width)");
    }
    for (long[] row : prefill) {
      if (row == null || row.length != prefill[0].length) {
        throw new IllegalArgumentException("prompt position rows must have one length");
      }
    }
  }

  /** Tokens of the prompt. */
  public int promptLength() {
    return prefill[0].length;
  }

  /**
   * The position ids of {@code length} tokens from cache index {@code start}: the prompt's own
   * where they fall inside the prompt, the cache index plus {@link #ropeDelta()} on every row
   * after it (tokens generated before a preemption are prefilled again this way).
   *
   * @param start first cache index, not negative
   * @param length tokens, not negative
   * @return {@code [3][length]} position ids
   * @throws IllegalArgumentException if {@code start} or {@code length} is negative
   */
  public long[][] slice(int start, int length) {
    if (start < 0 || length < 0) {
      throw new IllegalArgumentException("slice of " + length + " positions from " + start);
    }
    long[][] out = new long[ROWS][];
    int inPrompt = Math.max(0, Math.min(length, promptLength() - start));
    for (int r = 0; r < ROWS; r++) {
      out[r] = new long[length];
      if (inPrompt > 0) {
        System.arraycopy(prefill[r], start, out[r], 0, inPrompt);
      }
      for (int i = inPrompt; i < length; i++) {
        out[r][i] = start + i + ropeDelta;
      }
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PromptPositions other && ropeDelta == other.ropeDelta && Arrays.deepEquals(prefill, other.prefill);
  }

  @Override
  public int hashCode() {
    return Arrays.deepHashCode(prefill) * 31 + Long.hashCode(ropeDelta);
  }

  @Override
  public String toString() {
    return "PromptPositions[length=" + promptLength() + ", ropeDelta=" + ropeDelta + "]";
  }
}
