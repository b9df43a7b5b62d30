package dev.vlm.server.serving;

import java.util.HashMap;
import java.util.Map;

/**
 * The server-wide memory limit and the hard reservations resident models hold against it. A
 * reservation that would take the total over the limit is refused, never granted in part.
 * Thread-safe.
 */
public final class MemoryBudget {
  private final long limitBytes;
  private final Map<String, Long> reservations = new HashMap<>();
  private long reservedBytes;

  /**
   * @param limitBytes the most all reservations together may hold
   * @throws IllegalArgumentException if the limit is not positive
   */
  public MemoryBudget(long limitBytes) {
    if (limitBytes <= 0) {
      throw new IllegalArgumentException("memory budget must be positive, got " + limitBytes);
    }
    this.limitBytes = limitBytes;
  }

  /** The limit, in bytes. */
  public long limitBytes() {
    return limitBytes;
  }

  /** Bytes reserved by all owners together. */
  public synchronized long reservedBytes() {
    return reservedBytes;
  }

  /** Bytes reserved by one owner; 0 if it holds none. */
  public synchronized long reservedBy(String owner) {
    return reservations.getOrDefault(owner, 0L);
  }

  /**
   * Adds {@code bytes} to the owner's reservation if the total stays within the limit.
   *
   * @return whether the bytes were reserved; nothing changes when false
   * @throws IllegalArgumentException if {@code bytes} is negative
   */
  public synchronized boolean tryReserve(String owner, long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("cannot reserve a negative size: " + bytes);
    }
    if (bytes > limitBytes - reservedBytes) {
      return false;
    }
    reservations.merge(owner, bytes, Long::sum);
    reservedBytes += bytes;
    return true;
  }

  /**
   * Gives back part of the owner's reservation (at most what it holds).
   *
   * @return the bytes given back
   */
  public synchronized long releasePart(String owner, long bytes) {
    long held = reservations.getOrDefault(owner, 0L);
    long returned = Math.max(0, Math.min(held, bytes));
    if (held - returned == 0) {
      reservations.remove(owner);
    } else {
      reservations.put(owner, held - returned);
    }
    reservedBytes -= returned;
    return returned;
  }

  /**
   * Releases everything the owner holds.
   *
   * @return the bytes released
   */
  public synchronized long release(String owner) {
    Long held = reservations.remove(owner);
    if (held == null) {
      return 0;
    }
    reservedBytes -= held;
    return held;
  }
}
