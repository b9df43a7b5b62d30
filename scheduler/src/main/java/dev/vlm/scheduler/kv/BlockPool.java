package dev.vlm.scheduler.kv;

import java.util.ArrayDeque;

/**
 * A fixed set of KV blocks, numbered {@code 0..totalBlocks-1}, each with a reference count. A
 * block is free exactly when its count is zero; free blocks wait in FIFO order, so a block just
 * released is the last to be handed out again.
 *
 * <p>Not thread-safe: one owner thread.
 */
public final class BlockPool {
  private final int[] refCounts;
  private final ArrayDeque<Integer> free;

  /**
   * Creates a pool with every block free.
   *
   * @param totalBlocks how many blocks the pool holds
   * @throws IllegalArgumentException if {@code totalBlocks < 1}
   */
  public BlockPool(int totalBlocks) {
    if (totalBlocks < 1) {
      throw new IllegalArgumentException("totalBlocks must be >= 1, got " + totalBlocks);
    }
    refCounts = new int[totalBlocks];
    free = new ArrayDeque<>(totalBlocks);
    for (int id = 0; id < totalBlocks; id++) {
      free.addLast(id);
    }
  }

  /** Number of blocks in the pool, free or not. */
  public int totalBlocks() {
    return refCounts.length;
  }

  /** Number of blocks nobody holds. */
  public int freeBlocks() {
    return free.size();
  }

  /** Number of blocks somebody holds. */
  public int usedBlocks() {
    return refCounts.length - free.size();
  }

  /**
   * Takes a free block; its reference count becomes one.
   *
   * @return the block's id
   * @throws IllegalStateException if no block is free (callers check {@link #freeBlocks()} first)
   */
  public int allocate() {
    Integer id = free.pollFirst();
    if (id == null) {
      throw new IllegalStateException("no free KV block (all " + refCounts.length + " in use)");
    }
    refCounts[id] = 1;
    return id;
  }

  /**
   * Adds a holder to a block that is already held, for sharing it between sequences.
   *
   * @throws IllegalArgumentException if the id is out of range or the block is free
   */
  public void retain(int blockId) {
    checkHeld(blockId);
    refCounts[blockId]++;
  }

  /**
   * Drops one holder of a block; the block returns to the free list when none is left.
   *
   * @throws IllegalArgumentException if the id is out of range or the block is already free
   */
  public void release(int blockId) {
    checkHeld(blockId);
    if (--refCounts[blockId] == 0) {
      free.addLast(blockId);
    }
  }

  /**
   * Current number of holders of a block (zero when free).
   *
   * @throws IllegalArgumentException if the id is out of range
   */
  public int refCount(int blockId) {
    checkRange(blockId);
    return refCounts[blockId];
  }

  /**
   * Verifies the pool's bookkeeping: every free-list entry is distinct and has count zero, and
   * every block with count zero is on the free list. Meant for tests and debugging; O(blocks).
   *
   * @throws IllegalStateException describing the first inconsistency found
   */
  public void checkInvariants() {
    boolean[] seen = new boolean[refCounts.length];
    for (int id : free) {
      if (seen[id]) {
        throw new IllegalStateException("block " + id + " is on the free list twice");
      }
      seen[id] = true;
      if (refCounts[id] != 0) {
        throw new IllegalStateException("free block " + id + " has refCount " + refCounts[id]);
      }
    }
    for (int id = 0; id < refCounts.length; id++) {
      if (refCounts[id] < 0) {
        throw new IllegalStateException("block " + id + " has negative refCount");
      }
      if (refCounts[id] == 0 && !seen[id]) {
        throw new IllegalStateException("block " + id + " is unreferenced but not free");
      }
    }
  }

  private void checkHeld(int blockId) {
    checkRange(blockId);
    if (refCounts[blockId] == 0) {
      throw new IllegalArgumentException("KV block " + blockId + " is not held");
    }
  }

  private void checkRange(int blockId) {
    if (blockId < 0 || blockId >= refCounts.length) {
      throw new IllegalArgumentException(
          "KV block id " + blockId + " is outside 0.." + (refCounts.length - 1));
    }
  }
}
