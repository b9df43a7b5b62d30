package dev.vlm.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

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
