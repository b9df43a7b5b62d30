package dev.vlm.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;

/** Shared set-up for scheduler tests: every test ends with nothing in flight and every block free. */
abstract class SchedulerTestBase {
  Driver driver;

  Driver start(SchedulerConfig.Builder config) {
    driver = new Driver(config.build());
    return driver;
  }

  Scheduler scheduler() {
    return driver.scheduler;
  }

  static SchedulerConfig.Builder config() {
    return SchedulerConfig.builder()
        .blockSize(4)
        .totalBlocks(64)
        .maxBatchedTokens(64)
        .maxRunningSequences(8)
        .maxWaitingRequests(64)
        .maxEncoderTokensPerStep(64);
  }

  /** Prompt token ids {@code first, first+1, ...}. */
  static int[] prompt(int length, int first) {
    return IntStream.range(first, first + length).toArray();
  }

  static Request.Builder request(String id, int promptLength) {
    return Request.builder(id, prompt(promptLength, 100 + Math.abs(id.hashCode() % 500)));
  }

  /** Request ids in the order their first prompt chunk was scheduled. */
  List<String> admissionOrder() {
    Set<String> order = new LinkedHashSet<>();
    for (SchedulerOutput output : driver.outputs) {
      for (ScheduledChunk chunk : output.prefills()) {
        if (chunk.startPosition() == 0) {
          order.add(chunk.requestId());
        }
      }
    }
    return new ArrayList<>(order);
  }

  @AfterEach
  void everyTestEndsWithAllBlocksFree() {
    if (driver == null) {
      return;
    }
    Scheduler scheduler = driver.scheduler;
    scheduler.checkInvariants();
    assertThat(scheduler.hasUnfinished()).as("requests left in flight").isFalse();
    assertThat(scheduler.freeBlocks()).isEqualTo(scheduler.totalBlocks());
    assertThat(scheduler.stats().kvUtilization()).isZero();
  }
}
