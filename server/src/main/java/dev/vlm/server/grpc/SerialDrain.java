package dev.vlm.server.grpc;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a task on behalf of any number of threads so that no two runs ever overlap. A request
 * that arrives during a run makes that run go round once more instead of starting a second
 * one, so no request is lost and no thread waits for a lock. Thread-safe.
 */
final class SerialDrain {
  private final Runnable task;
  private final Executor executor;
  // Requests not yet served; whoever raises it from 0 owns the run.
  private final AtomicInteger requests = new AtomicInteger();

  /**
   * @param task what to run; it must not throw, since a failed run would leave later requests
   *     waiting for a run that never comes
   * @param executor where {@link #requestAsync()} runs the task
   */
  SerialDrain(Runnable task, Executor executor) {
    this.task = task;
    this.executor = executor;
  }

  /** Asks for a run on the executor; returns at once. */
  void requestAsync() {
    if (requests.getAndIncrement() == 0) {
      try {
        executor.execute(this::runUntilServed);
      } catch (RejectedExecutionException e) {
        // The executor is shut down (server stopping); running here is still serialized.
        runUntilServed();
      }
    }
  }

  /** Asks for a run on the calling thread, unless one is under way elsewhere. */
  void requestHere() {
    if (requests.getAndIncrement() == 0) {
      runUntilServed();
    }
  }

  private void runUntilServed() {
    int served = 1;
    do {
      task.run();
      served = requests.addAndGet(-served);
    } while (served != 0);
  }
}
