package dev.vlm.server.sampling;

import java.util.BitSet;

/**
 * The distinct token ids a sequence holds so far (prompt and output), which the repetition
 * penalty applies to. A bit set: adding is O(1), and the penalty visits each distinct id once
 * however often it occurs.
 *
 * <p>Not thread-safe: one per request, owned by the thread that samples it.
 */
public final class TokenHistory {
  private final BitSet ids = new BitSet();

  /** An empty history. */
  public TokenHistory() {}

  /**
   * @param tokenId a token of the sequence
   * @throws IllegalArgumentException if negative
   */
  public void add(int tokenId) {
    if (tokenId < 0) {
      throw new IllegalArgumentException("token id must be >= 0, got " + tokenId);
    }
    ids.set(tokenId);
  }

  /**
   * @param tokenIds tokens of the sequence, such as the prompt
   * @throws IllegalArgumentException if one is negative
   */
  public void addAll(int[] tokenIds) {
    for (int id : tokenIds) {
      add(id);
    }
  }

  /** Whether the token occurred in the sequence. */
  public boolean contains(int tokenId) {
    return tokenId >= 0 && ids.get(tokenId);
  }

  /** The number of distinct tokens. */
  public int distinctCount() {
    return ids.cardinality();
  }

  /** The smallest id &gt;= from in the history, or -1; for walking it without allocation. */
  int nextId(int from) {
    return ids.nextSetBit(from);
  }
}
