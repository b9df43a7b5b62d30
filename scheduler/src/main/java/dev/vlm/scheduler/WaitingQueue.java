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
 *   <li>the tenant with the least service in the {@link TenantLedger} first (ties: the tenant
 *       whose next request arrived first);
 *   <li>within a tenant, higher priority first;
 *   <li>within a tenant's priority, preempted requests first, earliest arrival first (they go
 *       back to the front of their queue), then never-admitted requests, oldest first.
 * </ol>
 *
 * <p>Priority therefore orders a tenant's own requests only: a tenant flooding the queue at the
 * highest priority still waits for its turn behind a less-served tenant.
 *
 * <p>Not thread-safe.
 */
final class WaitingQueue {
  /** One priority of one tenant. */
  private static final class Level {
    final TreeSet<Sequence> resumed = new TreeSet<>(Comparator.comparingLong(s -> s.arrival));
    final ArrayDeque<Sequence> fresh = new ArrayDeque<>();

    boolean isEmpty() {
      return resumed.isEmpty() && fresh.isEmpty();
    }

    Sequence head() {
      return resumed.isEmpty() ? fresh.peekFirst() : resumed.first();
    }
  }

  // Per tenant, in order of first arrival; each tenant's levels highest priority first.
  private final Map<String, TreeMap<Integer, Level>> tenants = new LinkedHashMap<>();
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
    level(sequence).fresh.addLast(sequence);
    size++;
    fresh++;
  }

  void addResumed(Sequence sequence) {
    level(sequence).resumed.add(sequence);
    size++;
  }

  /** The request to admit next, or null when empty. Does not remove it. */
  Sequence next(TenantLedger ledger) {
    Sequence best = null;
    long bestServed = Long.MAX_VALUE;
    for (Map.Entry<String, TreeMap<Integer, Level>> entry : tenants.entrySet()) {
      Sequence head = entry.getValue().firstEntry().getValue().head();
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
    String tenant = sequence.request.tenant();
    TreeMap<Integer, Level> levels = tenants.get(tenant);
    Level level = levels == null ? null : levels.get(sequence.request.priority());
    if (level == null) {
      return false;
    }
    boolean removed;
    if (level.resumed.remove(sequence)) {
      removed = true;
    } else {
      removed = level.fresh.remove(sequence);
      if (removed) {
        fresh--;
      }
    }
    if (removed) {
      size--;
      if (level.isEmpty()) {
        levels.remove(sequence.request.priority());
        if (levels.isEmpty()) {
          tenants.remove(tenant);
        }
      }
    }
    return removed;
  }

  private Level level(Sequence sequence) {
    return tenants
        .computeIfAbsent(sequence.request.tenant(), t -> new TreeMap<>(Comparator.reverseOrder()))
        .computeIfAbsent(sequence.request.priority(), p -> new Level());
  }
}
