package dev.vlm.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SerialDrainTest {
  @Test
  void runsNeverOverlapAndEveryRequestIsFollowedByARun() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    AtomicInteger running = new AtomicInteger();
    AtomicInteger overlaps = new AtomicInteger();
    AtomicBoolean unserved = new AtomicBoolean();
    SerialDrain drain =
        new SerialDrain(
            () -> {
              if (running.incrementAndGet() > 1) {
                overlaps.incrementAndGet();
              }
              unserved.set(false);
              Thread.onSpinWait();
              running.decrementAndGet();
            },
            pool);
    int threads = 4;
    CountDownLatch done = new CountDownLatch(threads);
    List<Thread> requesters = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      boolean async = t % 2 == 0;
      requesters.add(
          Thread.ofPlatform()
              .start(
                  () -> {
                    for (int i = 0; i < 20_000; i++) {
                      unserved.set(true);
                      if (async) {
                        drain.requestAsync();
                      } else {
                        drain.requestHere();
                      }
                    }
                    done.countDown();
                  }));
    }
    assertThat(done.await(20, TimeUnit.SECONDS)).isTrue();
    pool.shutdown();
    assertThat(pool.awaitTermination(5, TimeUnit.SECONDS)).isTrue();

    assertThat(overlaps.get()).isZero();
    assertThat(unserved.get()).as("a request after the last run").isFalse();
  }

  @Test
  void aRejectingExecutorMeansTheRunHappensOnTheCaller() {
    List<String> ranOn = new ArrayList<>();
    SerialDrain drain =
        new SerialDrain(
            () -> ranOn.add(Thread.currentThread().getName()),
            task -> {
              throw new RejectedExecutionException("shut down");
            });

    drain.requestAsync();

    assertThat(ranOn).containsExactly(Thread.currentThread().getName());
  }
}
