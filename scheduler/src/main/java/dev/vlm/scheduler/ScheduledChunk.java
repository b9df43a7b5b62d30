package dev.vlm.scheduler;

import java.util.Arrays;

/**
 * What the engine must run for one sequence in one step: append the KV of {@code tokenIds} at
 * positions {@code [startPosition, startPosition + length())}, writing into the blocks of
 * {@code blockTable}, and sample the next token if {@link #sampleNext()}.
 *
 * <p>A chunk at {@code startPosition == 0} starts the sequence's KV from nothing: a new request,
 * or one resumed after preemption, whose token ids then include the tokens it had generated
 * before. Positions inside an image span carry placeholder ids; the engine substitutes the
 * encoder output it was asked to produce by an {@link EncoderInput} in this or an earlier step.
 *
 * <p>Immutable, thread-safe (arrays are copied in and out).
 *
 * @param requestId the sequence's request
 * @param startPosition first position of the chunk (= tokens already in the KV cache)
 * @param tokenIds token ids of the chunk's positions
 * @param blockTable every KV block of the sequence in position order, covering the chunk
 * @param sampleNext true when the chunk ends at the sequence's last known token, so the engine
 *     samples and returns the next token for it
 */
public record ScheduledChunk(
    String requestId, int startPosition, int[] tokenIds, int[] blockTable, boolean sampleNext) {

  /** Copies both arrays. */
  public ScheduledChunk {
    tokenIds = tokenIds.clone();
    blockTable = blockTable.clone();
  }

  /** A copy of the chunk's token ids. */
  @Override
  public int[] tokenIds() {
    return tokenIds.clone();
  }

  /** A copy of the sequence's block ids. */
  @Override
  public int[] blockTable() {
    return blockTable.clone();
  }

  /** Number of positions in the chunk. */
  public int length() {
    return tokenIds.length;
  }

  /** The token id at chunk index {@code i}. */
  public int tokenId(int i) {
    return tokenIds[i];
  }

  /** One past the chunk's last position: the sequence's KV length after this step. */
  public int endPosition() {
    return startPosition + tokenIds.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ScheduledChunk c
        && requestId.equals(c.requestId)
        && startPosition == c.startPosition
        && sampleNext == c.sampleNext
        && Arrays.equals(tokenIds, c.tokenIds)
        && Arrays.equals(blockTable, c.blockTable);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * requestId.hashCode() + startPosition) + Arrays.hashCode(tokenIds);
  }

  @Override
  public String toString() {
    return "Chunk[" + requestId + " @" + startPosition + "+" + tokenIds.length
        + (sampleNext ? " sample" : "") + " blocks=" + Arrays.toString(blockTable) + "]";
  }
}
