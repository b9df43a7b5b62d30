package dev.vlm.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** How requests end: abort, deadlines, engine signals and failures; and what add() refuses. */
class SchedulerLifecycleTest extends SchedulerTestBase {

  @Test
  void abortWhileWaitingRemovesTheRequestAndReportsItNextStep() {
    start(config().maxRunningSequences(1));
    driver.add(request("a", 3).maxNewTokens(3).build());
    driver.add(request("b", 3).maxNewTokens(3).build());
    driver.step();
    assertThat(scheduler().waitingCount()).isEqualTo(1);

    assertThat(scheduler().abort("b")).isTrue();
    assertThat(scheduler().waitingCount()).isZero();
    assertThat(scheduler().abort("b")).isFalse();
    SchedulerOutput next = driver.step();
    assertThat(next.finished()).singleElement().satisfies(f -> {
      assertThat(f.requestId()).isEqualTo("b");
      assertThat(f.reason()).isEqualTo(FinishReason.ABORTED);
      assertThat(f.generatedTokens()).isZero();
    });
    driver.runUntilIdle(10);
    assertThat(driver.tokensOf("b")).isEmpty();
    assertThat(driver.finishes.get("a").reason()).isEqualTo(FinishReason.LENGTH);
    assertThat(scheduler().stats().aborted()).isEqualTo(1);
  }

  @Test
  void abortWhileRunningFreesBlocksAtOnce() {
    start(config());
    driver.add(request("a", 9).maxNewTokens(10).build());
    driver.step();
    driver.step();
    assertThat(scheduler().freeBlocks()).isLessThan(scheduler().totalBlocks());

    assertThat(scheduler().abort("a")).isTrue();
    assertThat(scheduler().freeBlocks()).isEqualTo(scheduler().totalBlocks());
    SchedulerOutput next = driver.step();
    assertThat(next.hasWork()).isFalse();
    assertThat(next.finished()).singleElement().satisfies(f -> {
      assertThat(f.reason()).isEqualTo(FinishReason.ABORTED);
      assertThat(f.generatedTokens()).isEqualTo(2);
    });
    assertThat(driver.tokensOf("a")).hasSize(2);
  }

  @Test
  void aTokenForARequestAbortedDuringTheStepIsDropped() {
    start(config());
    scheduler().add(request("a", 3).maxNewTokens(5).build());
    SchedulerOutput output = scheduler().schedule();
    assertThat(scheduler().abort("a")).isTrue();
    assertThat(scheduler().update(output, EngineResult.builder().token("a", 42).build())).isEmpty();
    assertThat(scheduler().takeFinished()).extracting(RequestEvent.Finished::reason)
        .containsExactly(FinishReason.ABORTED);
  }

  @Test
  void deadlineWhileWaiting() {
    start(config().maxRunningSequences(1));
    driver.add(request("a", 3).maxNewTokens(5).build());
    driver.add(request("b", 3).maxNewTokens(5).deadlineNanos(1_000).build());
    driver.step();
    driver.clock.set(999);
    assertThat(driver.step().finished()).isEmpty();

    driver.clock.set(1_000);
    SchedulerOutput output = driver.step();
    assertThat(output.finished()).singleElement().satisfies(f -> {
      assertThat(f.requestId()).isEqualTo("b");
      assertThat(f.reason()).isEqualTo(FinishReason.DEADLINE_EXCEEDED);
      assertThat(f.detail()).contains("waiting");
    });
    driver.runUntilIdle(10);
    assertThat(scheduler().stats().deadlineExceeded()).isEqualTo(1);
  }

  @Test
  void deadlineWhileRunning() {
    start(config());
    driver.add(request("a", 3).maxNewTokens(10).deadlineNanos(500).build());
    driver.add(request("b", 3).maxNewTokens(4).build());
    driver.step();
    driver.step();
    driver.clock.set(500);
    SchedulerOutput output = driver.step();
    assertThat(output.finished()).singleElement().satisfies(f -> {
      assertThat(f.requestId()).isEqualTo("a");
      assertThat(f.reason()).isEqualTo(FinishReason.DEADLINE_EXCEEDED);
      assertThat(f.detail()).contains("running");
      assertThat(f.generatedTokens()).isEqualTo(2);
    });
    assertThat(output.decodes()).extracting(ScheduledChunk::requestId).containsExactly("b");
    driver.runUntilIdle(10);
  }

  @Test
  void engineSignalsEndTheOutputWithTheirToken() {
    start(config());
    scheduler().add(request("e", 3).maxNewTokens(10).build());
    scheduler().add(request("s", 3).maxNewTokens(10).build());
    SchedulerOutput output = scheduler().schedule();
    List<RequestEvent> events =
        scheduler().update(output, EngineResult.builder().eos("e", 2).stop("s", 7).build());
    assertThat(events)
        .containsExactly(
            new RequestEvent.Token("e", 2, 0),
            new RequestEvent.Finished("e", FinishReason.EOS, 3, 1, 0, 0, ""),
            new RequestEvent.Token("s", 7, 0),
            new RequestEvent.Finished("s", FinishReason.STOP, 3, 1, 0, 0, ""));
    assertThat(scheduler().stats().completed()).isEqualTo(2);
  }

  @Test
  void aRequestTheEngineFailsEndsWithErrorWhileTheOthersGoOn() {
    start(config());
    scheduler().add(request("bad", 3).maxNewTokens(2).build());
    scheduler().add(request("good", 3).maxNewTokens(2).build());
    SchedulerOutput output = scheduler().schedule();
    List<RequestEvent> events =
        scheduler().update(output, EngineResult.builder().failed("bad", "image decode failed").token("good", 1).build());
    assertThat(events).first().isEqualTo(
        new RequestEvent.Finished("bad", FinishReason.ERROR, 3, 0, 0, 0, "image decode failed"));
    SchedulerOutput next = scheduler().schedule();
    assertThat(next.decodes()).extracting(ScheduledChunk::requestId).containsExactly("good");
    scheduler().update(next, EngineResult.builder().token("good", 2).build());
    assertThat(scheduler().stats().failed()).isEqualTo(1);
  }

  @Test
  void aMalformedEngineResultIsRefusedWithoutChangesAndTheStepCanBeFailed() {
    start(config());
    scheduler().add(request("a", 3).maxNewTokens(2).build());
    scheduler().add(request("b", 3).maxNewTokens(2).build());
    SchedulerOutput output = scheduler().schedule();

    assertThatThrownBy(() -> scheduler().update(output, EngineResult.builder().token("a", 1).build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no token for request b");
    assertThatThrownBy(() -> scheduler().update(output,
            EngineResult.builder().token("a", 1).token("b", 1).token("zzz", 1).build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("zzz");

    List<RequestEvent.Finished> failed = scheduler().failStep(output, "engine crashed");
    assertThat(failed).extracting(RequestEvent.Finished::requestId).containsExactly("a", "b");
    assertThat(failed).allSatisfy(f -> {
      assertThat(f.reason()).isEqualTo(FinishReason.ERROR);
      assertThat(f.detail()).isEqualTo("engine crashed");
    });
  }

  @Test
  void schedulingAgainBeforeTheUpdateIsRefused() {
    start(config());
    scheduler().add(request("a", 3).maxNewTokens(1).build());
    SchedulerOutput output = scheduler().schedule();
    assertThatThrownBy(() -> scheduler().schedule()).isInstanceOf(IllegalStateException.class);
    scheduler().update(output, EngineResult.builder().token("a", 1).build());
    assertThatThrownBy(() -> scheduler().update(output, EngineResult.empty()))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void queueFullRefusesNewRequestsUntilOneIsAdmitted() {
    start(config().maxWaitingRequests(2).maxRunningSequences(1));
    driver.add(request("a", 3).maxNewTokens(2).build());
    driver.add(request("b", 3).maxNewTokens(2).build());
    assertThatThrownBy(() -> driver.add(request("c", 3).build()))
        .isInstanceOf(QueueFullException.class)
        .hasMessageContaining("2");
    driver.step();
    driver.add(request("c", 3).maxNewTokens(2).build());
    driver.runUntilIdle(20);
    assertThat(driver.finishes).containsOnlyKeys("a", "b", "c");
  }

  @Test
  void requestsThatCouldNeverRunAreRefused() {
    start(config().blockSize(4).totalBlocks(4).maxEncoderTokensPerStep(8));
    assertThatThrownBy(() -> scheduler().add(request("big", 10).maxNewTokens(8).build()))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("KV");
    assertThatThrownBy(() -> scheduler().add(request("img", 12).image(0, 9).maxNewTokens(2).build()))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("encoder");
    assertThatThrownBy(() -> request("overlap", 12).image(0, 4).image(3, 2).build())
        .isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> request("past", 4).image(2, 4).build())
        .isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> Request.builder("empty", new int[0]).build())
        .isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> request("zero", 3).maxNewTokens(0).build())
        .isInstanceOf(InvalidRequestException.class);
    // Exactly the pool: 10 + 7 - 1 = 16 positions.
    driver.add(request("fits", 10).maxNewTokens(7).build());
    driver.runUntilIdle(20);
    assertThat(driver.tokensOf("fits")).hasSize(7);
  }

  @Test
  void anIdIsUniqueWhileInFlightAndReusableAfterwards() {
    start(config());
    driver.add(request("a", 3).maxNewTokens(1).build());
    assertThatThrownBy(() -> driver.add(request("a", 3).build()))
        .isInstanceOf(DuplicateRequestException.class);
    driver.runUntilIdle(5);
    driver.add(request("a", 3).maxNewTokens(1).build());
    driver.finishes.clear();
    driver.tokens.clear();
    driver.runUntilIdle(5);
    assertThat(driver.tokensOf("a")).hasSize(1);
  }

  @Test
  void abortAllEndsEverythingWithTheGivenReason() {
    start(config().maxRunningSequences(1));
    driver.add(request("a", 3).maxNewTokens(5).build());
    driver.add(request("b", 3).maxNewTokens(5).build());
    driver.step();
    assertThat(scheduler().abortAll(FinishReason.SHUTDOWN, "server stopping")).isEqualTo(2);
    assertThat(scheduler().takeFinished())
        .extracting(RequestEvent.Finished::requestId, RequestEvent.Finished::reason)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("a", FinishReason.SHUTDOWN),
            org.assertj.core.groups.Tuple.tuple("b", FinishReason.SHUTDOWN));
    assertThat(scheduler().hasPendingWork()).isFalse();
  }
}
