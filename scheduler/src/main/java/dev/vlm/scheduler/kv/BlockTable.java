package dev.vlm.scheduler.kv;

import java.util.Arrays;

/**
 * One sequence's KV blocks in position order: block {@code i} holds token positions {@code
 * [i*blockSize, (i+1)*blockSize)}. Grown and emptied only through {@link KvCacheManager}.
 *
 * <p>Not thread-safe: one owner thread.
 */
public final class BlockTable {
  private int[] ids = new int[4];
  private int size;

  /** Creates an empty table. */
  public BlockTable() {}

  /** Number of blocks held. */
  public int size() {
    return size;
  }

  /** True when no block is held. */
  public boolean isEmpty() {
    return size == 0;
  }

  /**
   * The id of the {@code index}-th block.
   *
   * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
   */
  public int blockId(int index) {
    if (index < 0 || index >= size) {
      throw new IndexOutOfBoundsException("block index " + index + " of " + size);
    }
    return ids[index];
  }

  /** A copy of the block ids in position order. */
  public int[] toArray() {
    return Arrays.copyOf(ids, size);
  }

  void add(int blockId) {
    if (size == ids.length) {
      ids = Arrays.copyOf(ids, size * 2);
    }
    ids[size++] = blockId;
  }

  int removeLast() {
    return ids[--size];
  }
}
