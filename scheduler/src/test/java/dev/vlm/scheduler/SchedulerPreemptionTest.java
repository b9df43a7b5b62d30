package dev.vlm.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Preemption by recompute when blocks run out, and resumption with unchanged output. */
class SchedulerPreemptionTest extends SchedulerTestBase {

  @Test
  void preemptedRequestResumesAndProducesTheSameTokensAsAnUnpreemptedRun() {
    // Each request peaks at 5 + 8 - 1 = 12 positions = 6 blocks of 2; together they need 12 of 8.
    start(config().blockSize(2).totalBlocks(8));
    Request a = driver.add(Request.builder("a", prompt(5, 10)).maxNewTokens(8).build());
    Request b = driver.add(Request.builder("b", prompt(5, 20)).maxNewTokens(8).build());

    driver.runUntilIdle(100);

    assertThat(driver.finishes.get("a").preemptions()).isZero();
    assertThat(driver.finishes.get("b").preemptions()).isPositive();
    assertThat(scheduler().stats().preemptions()).isPositive();
    assertThat(scheduler().stats().recomputedTokens()).isPositive();
    // The later arrival is the victim, and it comes back with prompt + generated tokens.
    SchedulerOutput preemption =
        driver.outputs.stream().filter(o -> !o.preempted().isEmpty()).findFirst().orElseThrow();
    assertThat(preemption.preempted()).containsExactly("b");
    ScheduledChunk resume =
        driver.outputs.stream()
            .filter(o -> o.step() > preemption.step())
            .flatMap(o -> o.prefills().stream())
            .filter(c -> c.requestId().equals("b"))
            .findFirst()
            .orElseThrow();
    assertThat(resume.startPosition()).isZero();
    assertThat(resume.length()).isGreaterThan(5);
    int generatedBefore = resume.length() - 5;
    int[] expectedIds = new int[resume.length()];
    System.arraycopy(b.promptTokenIds(), 0, expectedIds, 0, 5);
    for (int i = 0; i < generatedBefore; i++) {
      expectedIds[5 + i] = driver.tokensOf("b").get(i);
    }
    assertThat(resume.tokenIds()).containsExactly(expectedIds);

    assertThat(driver.tokensOf("a")).isEqualTo(unpreemptedOutput(a));
    assertThat(driver.tokensOf("b")).isEqualTo(unpreemptedOutput(b));
    assertThat(driver.tokensOf("b")).isEqualTo(driver.model.expectedOutput(b.promptTokenIds(), 8));
    assertThat(driver.finishes.get("b").reason()).isEqualTo(FinishReason.LENGTH);
    assertThat(driver.finishes.get("b").generatedTokens()).isEqualTo(8);
  }

  @Test
  void preemptionDuringAChunkedPrefillRestartsThePromptFromZero() {
    // Two 12-token prompts in chunks of 4 each fill half the pool, then both need more.
    start(config().blockSize(4).totalBlocks(5).maxBatchedTokens(8));
    Request a = driver.add(Request.builder("a", prompt(12, 10)).maxNewTokens(4).build());
    Request b = driver.add(Request.builder("b", prompt(12, 40)).maxNewTokens(4).build());

    driver.runUntilIdle(100);

    // b, half-way through its prompt, needs a block after a's decode took the last one; b is
    // the lowest-ranked running sequence, so it gives up its own blocks.
    SchedulerOutput preemption =
        driver.outputs.stream().filter(o -> !o.preempted().isEmpty()).findFirst().orElseThrow();
    assertThat(preemption.preempted()).containsExactly("b");
    assertThat(preemption.decodes()).extracting(ScheduledChunk::requestId).containsExactly("a");
    assertThat(preemption.prefills()).isEmpty();
    assertThat(driver.outputs.stream().flatMap(o -> o.prefills().stream())
            .filter(c -> c.requestId().equals("b") && c.startPosition() == 0))
        .hasSize(2);
    assertThat(driver.tokensOf("a")).isEqualTo(driver.model.expectedOutput(a.promptTokenIds(), 4));
    assertThat(driver.tokensOf("b")).isEqualTo(driver.model.expectedOutput(b.promptTokenIds(), 4));
  }

  @Test
  void lowerPriorityIsPreemptedBeforeAnEarlierArrival() {
    start(config().blockSize(2).totalBlocks(6));
    Request low = driver.add(Request.builder("low", prompt(4, 10)).priority(0).maxNewTokens(6).build());
    Request high = driver.add(Request.builder("high", prompt(4, 30)).priority(5).maxNewTokens(6).build());

    driver.runUntilIdle(100);

    SchedulerOutput preemption =
        driver.outputs.stream().filter(o -> !o.preempted().isEmpty()).findFirst().orElseThrow();
    assertThat(preemption.preempted()).containsExactly("low");
    assertThat(preemption.decodes()).extracting(ScheduledChunk::requestId).containsExactly("high");
    assertThat(driver.finishes.get("high").preemptions()).isZero();
    assertThat(driver.tokensOf("low")).isEqualTo(driver.model.expectedOutput(low.promptTokenIds(), 6));
    assertThat(driver.tokensOf("high")).isEqualTo(driver.model.expectedOutput(high.promptTokenIds(), 6));
  }

  @Test
  void threeSequencesContendingForBlocksAllFinishWithTheirOwnOutput() {
    // Three sequences share 9 blocks; everyone's output must still come out right.
    start(config().blockSize(2).totalBlocks(9).maxBatchedTokens(16));
    Request[] requests = new Request[3];
    for (int i = 0; i < 3; i++) {
      requests[i] = driver.add(Request.builder("r" + i, prompt(3 + i, 10 * i)).maxNewTokens(12).build());
    }
    driver.runUntilIdle(300);
    for (Request r : requests) {
      assertThat(driver.tokensOf(r.id()))
          .as(r.id())
          .isEqualTo(driver.model.expectedOutput(r.promptTokenIds(), 12));
    }
    assertThat(scheduler().stats().preemptions()).isPositive();
  }

  @Test
  void preemptedRequestsDoNotCountAgainstTheQueueBound() {
    start(config().blockSize(2).totalBlocks(8).maxWaitingRequests(1));
    driver.add(Request.builder("a", prompt(5, 10)).maxNewTokens(8).build());
    driver.step();
    driver.add(Request.builder("b", prompt(5, 20)).maxNewTokens(8).build());
    while (scheduler().stats().preemptions() == 0) {
      driver.step();
    }
    assertThat(scheduler().waitingCount()).isEqualTo(1);
    Request c = driver.add(Request.builder("c", prompt(3, 50)).maxNewTokens(2).build());
    driver.runUntilIdle(100);
    assertThat(driver.tokensOf("c")).isEqualTo(driver.model.expectedOutput(c.promptTokenIds(), 2));
  }

  private static java.util.List<Integer> unpreemptedOutput(Request request) {
    Driver alone = new Driver(config().totalBlocks(1000).build());
    alone.add(Request.builder(request.id(), request.promptTokenIds()).maxNewTokens(request.maxNewTokens()).build());
    alone.runUntilIdle(100);
    assertThat(alone.scheduler.stats().preemptions()).isZero();
    assertThat(alone.scheduler.freeBlocks()).isEqualTo(1000);
    return alone.tokensOf(request.id());
  }
}
