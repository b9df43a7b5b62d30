package dev.vlm.scheduler;

/** The scheduler's running totals for {@link SchedulerStats}. Not thread-safe. */
final class Counters {
  long steps;
  long preemptions;
  long aborted;
  long deadlineExceeded;
  long failed;
  long completed;
  long promptTokens;
  long generatedTokens;
  long recomputedTokens;

  void countFinish(FinishReason reason) {
    switch (reason) {
      case EOS, STOP, LENGTH -> completed++;
      case ABORTED, SHUTDOWN -> aborted++;
      case DEADLINE_EXCEEDED -> deadlineExceeded++;
      case ERROR -> failed++;
    }
  }
}
