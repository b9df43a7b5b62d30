package dev.vlm.scheduler.kv;

/**
 * Grows and frees sequences' block tables against one {@link BlockPool}. Growth is all or
 * nothing, so a failed request to grow leaves both the table and the pool untouched and the
 * caller can decide whom to preempt.
 *
 * <p>Not thread-safe: one owner thread.
 */
public final class KvCacheManager {
  private final BlockPool pool;
  private final int blockSize;

  /**
   * Creates a manager over {@code pool}.
   *
   * @param pool the blocks to hand out
   * @param blockSize token positions per block
   * @throws IllegalArgumentException if {@code blockSize < 1}
   */
  public KvCacheManager(BlockPool pool, int blockSize) {
    if (blockSize < 1) {
      throw new IllegalArgumentException("blockSize must be >= 1, got " + blockSize);
    }
    this.pool = pool;
    this.blockSize = blockSize;
  }

  /** Token positions per block. */
  public int blockSize() {
    return blockSize;
  }

  /** The pool blocks come from. */
  public BlockPool pool() {
    return pool;
  }

  /**
   * Blocks needed to hold {@code tokens} positions.
   *
   * @throws IllegalArgumentException if {@code tokens < 0}
   */
  public int blocksFor(long tokens) {
    if (tokens < 0) {
      throw new IllegalArgumentException("token count must be >= 0, got " + tokens);
    }
    long blocks = (tokens + blockSize - 1) / blockSize;
    return blocks > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) blocks;
  }

  /**
   * Makes {@code table} hold at least {@code tokens} positions, allocating the missing blocks
   * only if all of them are free.
   *
   * @return true if the table now covers {@code tokens}; false if blocks are short, in which
   *     case nothing changed
   */
  public boolean ensureCapacity(BlockTable table, int tokens) {
    int missing = blocksFor(tokens) - table.size();
    if (missing <= 0) {
      return true;
    }
    if (missing > pool.freeBlocks()) {
      return false;
    }
    for (int i = 0; i < missing; i++) {
      table.add(pool.allocate());
    }
    return true;
  }

  /** Releases every block of {@code table}, last position first, and empties it. */
  public void free(BlockTable table) {
    while (!table.isEmpty()) {
      pool.release(table.removeLast());
    }
  }

  /** Fraction of the pool's blocks in use, from 0 to 1. */
  public double utilization() {
    return (double) pool.usedBlocks() / pool.totalBlocks();
  }
}
