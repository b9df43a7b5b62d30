package dev.vlm.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Static batching: a batch runs to completion before waiting requests are admitted. */
class SchedulerStaticBatchingTest extends SchedulerTestBase {

  @Test
  void waitingRequestJoinsOnlyAfterTheWholeBatchHasFinished() {
    start(config().staticBatching(true));
    scheduler().add(request("short", 4).maxNewTokens(1).build());
    scheduler().add(request("long", 4).maxNewTokens(3).build());

    SchedulerOutput first = scheduler().schedule();
    assertThat(first.prefills()).extracting(ScheduledChunk::requestId).containsExactly("short", "long");
    scheduler().update(first, EngineResult.builder().token("short", 7).token("long", 7).build());
    scheduler().add(request("late", 4).maxNewTokens(1).build());

    // "short" has finished and a slot is free, but "long" is still running: "late" waits.
    for (int step = 0; step < 2; step++) {
      SchedulerOutput decode = scheduler().schedule();
      assertThat(decode.decodes()).extracting(ScheduledChunk::requestId).containsExactly("long");
      assertThat(decode.prefills()).isEmpty();
      assertThat(scheduler().waitingCount()).isEqualTo(1);
      scheduler().update(decode, EngineResult.builder().token("long", 8).build());
    }

    SchedulerOutput next = scheduler().schedule();
    assertThat(next.prefills()).extracting(ScheduledChunk::requestId).containsExactly("late");
    scheduler().update(next, EngineResult.builder().token("late", 9).build());
  }

  @Test
  void batchFormsOverStepsWhileTheTokenBudgetLimitsItThenCloses() {
    start(config().staticBatching(true).maxBatchedTokens(8));
    scheduler().add(request("a", 4).maxNewTokens(2).build());
    scheduler().add(request("b", 4).maxNewTokens(2).build());
    scheduler().add(request("c", 4).maxNewTokens(3).build());

    SchedulerOutput first = scheduler().schedule();
    assertThat(first.prefills()).extracting(ScheduledChunk::requestId).containsExactly("a", "b");
    scheduler().update(first, EngineResult.builder().token("a", 7).token("b", 7).build());

    // The budget, not the batch, stopped c: it still joins the batch.
    SchedulerOutput second = scheduler().schedule();
    assertThat(second.decodes()).extracting(ScheduledChunk::requestId).containsExactly("a", "b");
    assertThat(second.prefills()).extracting(ScheduledChunk::requestId).containsExactly("c");
    scheduler().update(second, EngineResult.builder().token("a", 8).token("b", 8).token("c", 7).build());
    scheduler().add(request("d", 4).maxNewTokens(1).build());

    // a and b have finished; c still runs, so the closed batch keeps d out.
    for (int step = 0; step < 2; step++) {
      SchedulerOutput decode = scheduler().schedule();
      assertThat(decode.decodes()).extracting(ScheduledChunk::requestId).containsExactly("c");
      assertThat(decode.prefills()).isEmpty();
      scheduler().update(decode, EngineResult.builder().token("c", 8).build());
    }
    SchedulerOutput next = scheduler().schedule();
    assertThat(next.prefills()).extracting(ScheduledChunk::requestId).containsExactly("d");
    scheduler().update(next, EngineResult.builder().token("d", 9).build());
  }

  @Test
  void continuousBatchingAdmitsIntoTheFreeSlotAtOnce() {
    start(config());
    scheduler().add(request("short", 4).maxNewTokens(1).build());
    scheduler().add(request("long", 4).maxNewTokens(3).build());
    SchedulerOutput first = scheduler().schedule();
    scheduler().update(first, EngineResult.builder().token("short", 7).token("long", 7).build());
    scheduler().add(request("late", 4).maxNewTokens(1).build());

    SchedulerOutput second = scheduler().schedule();
    assertThat(second.decodes()).extracting(ScheduledChunk::requestId).containsExactly("long");
    assertThat(second.prefills()).extracting(ScheduledChunk::requestId).containsExactly("late");
    scheduler().update(second, EngineResult.builder().token("long", 8).token("late", 9).build());
    SchedulerOutput third = scheduler().schedule();
    scheduler().update(third, EngineResult.builder().token("long", 8).build());
  }
}
