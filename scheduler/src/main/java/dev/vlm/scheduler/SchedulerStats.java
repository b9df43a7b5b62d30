package dev.vlm.scheduler;

/**
 * A snapshot of the scheduler's gauges and counters, for metrics exporters. Counters are totals
 * since the scheduler was created.
 *
 * <p>Immutable, thread-safe.
 *
 * @param waiting requests waiting (never admitted, or preempted)
 * @param running sequences holding KV
 * @param usedBlocks KV blocks in use
 * @param totalBlocks KV blocks in the pool
 * @param steps steps scheduled
 * @param preemptions sequences preempted
 * @param aborted requests finished with {@code ABORTED} or {@code SHUTDOWN}
 * @param deadlineExceeded requests finished with {@code DEADLINE_EXCEEDED}
 * @param failed requests finished with {@code ERROR}
 * @param completed requests finished with {@code EOS}, {@code STOP} or {@code LENGTH}
 * @param promptTokens prompt tokens of requests when first admitted
 * @param generatedTokens tokens generated
 * @param recomputedTokens tokens whose KV was discarded by preemption and had to be computed
 *     again
 */
public record SchedulerStats(
    int waiting,
    int running,
    int usedBlocks,
    int totalBlocks,
    long steps,
    long preemptions,
    long aborted,
    long deadlineExceeded,
    long failed,
    long completed,
    long promptTokens,
    long generatedTokens,
    long recomputedTokens) {

  /** Fraction of KV blocks in use, 0 to 1. */
  public double kvUtilization() {
    return (double) usedBlocks / totalBlocks;
  }

  /** KV blocks free. */
  public int freeBlocks() {
    return totalBlocks - usedBlocks;
  }
}
