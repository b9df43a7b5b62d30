package dev.vlm.scheduler;

import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Requests waiting for KV, ordered for admission:
 *
 * <ol>
 *   <li>higher priority first;
 *   <li>within a priority, preempted requests first, earliest arrival first (they go back to
 *       the front of the queue);
 *   <li>then never-admitted requests of the tenant with the least service in the {@link
 *       TenantLedger} (ties: the tenant whose oldest request arrived first), oldest first.
 * </ol>
 *
 * <p>Not thread-safe.
 */
final class WaitingQueue {
  private static final class Level {
    final TreeSet<Sequence> resumed = new TreeSet<>(Comparator.comparingLong(s -> s.arrival));
    final Map<String, ArrayDeque<Sequence>> freshByTenant = new LinkedHashMap<>();

    boolean isEmpty() {
      return resumed.isEmpty() && freshByTenant.isEmpty();
    }
  }

  // Highest priority first.
  private final TreeMap<Integer, Level> levels = new TreeMap<>(Comparator.reverseOrder());
  private int size;
  private int fresh;

  int size() {
    return size;
  }

  /** Requests that have never been admitted; the bounded part of the queue. */
  int freshCount() {
    return fresh;
  }

  void addFresh(Sequence sequence) {
    level(sequence)
        .freshByTenant
        .computeIfAbsent(sequence.request.tenant(), t -> new ArrayDeque<>())
        .addLast(sequence);
    size++;
    fresh++;
  }

  void addResumed(Sequence sequence) {
    level(sequence).resumed.add(sequence);
    size++;
  }

  /** The request to admit next, or null when empty. Does not remove it. */
  Sequence next(TenantLedger ledger) {
    if (levels.isEmpty()) {
      return null;
    }
    Level top = levels.firstEntry().getValue();
    if (!top.resumed.isEmpty()) {
      return top.resumed.first();
    }
    Sequence best = null;
    long bestServed = Long.MAX_VALUE;
    for (Map.Entry<String, ArrayDeque<Sequence>> entry : top.freshByTenant.entrySet()) {
      Sequence head = entry.getValue().peekFirst();
      long served = ledger.served(entry.getKey());
      if (best == null || served < bestServed || (served == bestServed && head.arrival < best.arrival)) {
        best = head;
        bestServed = served;
      }
    }
    return best;
  }

  /** Removes a waiting sequence; returns false if it was not queued. */
  boolean remove(Sequence sequence) {
    Integer priority = sequence.request.priority();
    Level level = levels.get(priority);
    if (level == null) {
      return false;
    }
    boolean removed;
    if (level.resumed.remove(sequence)) {
      removed = true;
    } else {
      ArrayDeque<Sequence> queue = level.freshByTenant.get(sequence.request.tenant());
      removed = queue != null && queue.remove(sequence);
      if (removed) {
        fresh--;
        if (queue.isEmpty()) {
          level.freshByTenant.remove(sequence.request.tenant());
        }
      }
    }
    if (removed) {
      size--;
      if (level.isEmpty()) {
        levels.remove(priority);
      }
    }
    return removed;
  }

  private Level level(Sequence sequence) {
    return levels.computeIfAbsent(sequence.request.priority(), p -> new Level());
  }
}
