package dev.vlm.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Priority orders a tenant's own requests; it takes no share from another tenant, in admission
 * or in preemption.
 */
class SchedulerFairPriorityTest extends SchedulerTestBase {

  @Test
  void priorityOrdersRequestsWithinATenant() {
    start(config().maxRunningSequences(1));
    driver.add(request("a-low", 3).tenant("a").priority(0).maxNewTokens(2).build());
    driver.add(request("a-high", 3).tenant("a").priority(9).maxNewTokens(2).build());
    driver.add(request("a-mid", 3).tenant("a").priority(4).maxNewTokens(2).build());
    driver.runUntilIdle(50);
    assertThat(admissionOrder()).containsExactly("a-high", "a-mid", "a-low");
  }

  @Test
  void topPriorityDoesNotTakeAnotherTenantsTurn() {
    start(config().maxRunningSequences(1));
    driver.add(request("b-0", 3).tenant("b").priority(0).maxNewTokens(2).build());
    for (int i = 0; i < 4; i++) {
      driver.add(request("a-" + i, 3).tenant("a").priority(100).maxNewTokens(2).build());
    }
    for (int i = 1; i < 4; i++) {
      driver.add(request("b-" + i, 3).tenant("b").priority(0).maxNewTokens(2).build());
    }
    driver.runUntilIdle(200);
    List<String> tenants = admissionOrder().stream().map(id -> id.substring(0, 1)).toList();
    // Turns alternate (a tie goes to the earlier arrival): neither tenant is ever two ahead.
    int lead = 0;
    for (String tenant : tenants) {
      lead += tenant.equals("a") ? 1 : -1;
      assertThat(Math.abs(lead)).as("admissions %s", tenants).isLessThanOrEqualTo(1);
    }
    assertThat(tenants).hasSize(8);
  }

  @Test
  void aFloodAtTopPriorityGetsNoMoreThanItsShareOfTokens() {
    start(config().maxRunningSequences(4).totalBlocks(256).maxWaitingRequests(200));
    for (int i = 0; i < 60; i++) {
      driver.add(request("flood-" + i, 6).tenant("flood").priority(100).maxNewTokens(8).build());
    }
    for (int i = 0; i < 60; i++) {
      driver.add(request("quiet-" + i, 6).tenant("quiet").priority(0).maxNewTokens(8).build());
    }
    // Count scheduled tokens (prefill and decode) while both tenants still have work waiting.
    Map<String, Long> served = new HashMap<>();
    Set<String> started = new HashSet<>();
    while (tenantsWithUnstartedRequests(started) == 2) {
      SchedulerOutput output = driver.step();
      for (ScheduledChunk chunk : output.chunks()) {
        started.add(chunk.requestId());
        served.merge(chunk.requestId().split("-")[0], (long) chunk.tokenIds().length, Long::sum);
      }
    }
    long total = served.values().stream().mapToLong(Long::longValue).sum();
    assertThat(total).isGreaterThan(300);
    double quietShare = (double) served.getOrDefault("quiet", 0L) / total;
    assertThat(quietShare).as("quiet tenant's share of %s tokens", total).isBetween(0.4, 0.6);
    driver.runUntilIdle(2000);
  }

  @Test
  void aHighPriorityTenantPreemptsItsOwnSequencesNotAnotherTenants() {
    // 8 blocks of 2 tokens; b needs 4 blocks, a's two requests 5 each: someone must give way.
    start(config().blockSize(2).totalBlocks(8));
    Request b = driver.add(Request.builder("b", prompt(2, 10)).tenant("b").priority(0).maxNewTokens(6).build());
    Request a1 = driver.add(Request.builder("a1", prompt(4, 30)).tenant("a").priority(100).maxNewTokens(6).build());
    Request a2 = driver.add(Request.builder("a2", prompt(4, 50)).tenant("a").priority(100).maxNewTokens(6).build());

    driver.runUntilIdle(200);

    assertThat(scheduler().stats().preemptions()).isPositive();
    assertThat(driver.finishes.get("b").preemptions()).as("b's preemptions").isZero();
    for (Request r : List.of(b, a1, a2)) {
      assertThat(driver.tokensOf(r.id())).as(r.id()).isEqualTo(driver.model.expectedOutput(r.promptTokenIds(), 6));
    }
  }

  @Test
  void theTenantHoldingMostOfTheCacheGivesWayWhateverItsPriority() {
    // b holds a long sequence at top priority; a's small one at priority 0 needs a block.
    start(config().blockSize(2).totalBlocks(7));
    Request b = driver.add(Request.builder("b", prompt(8, 10)).tenant("b").priority(100).maxNewTokens(4).build());
    driver.step();
    Request a = driver.add(Request.builder("a", prompt(2, 40)).tenant("a").priority(0).maxNewTokens(6).build());

    driver.runUntilIdle(200);

    assertThat(driver.finishes.get("a").preemptions()).as("a's preemptions").isZero();
    assertThat(driver.finishes.get("b").preemptions()).as("b's preemptions").isPositive();
    assertThat(driver.tokensOf("a")).isEqualTo(driver.model.expectedOutput(a.promptTokenIds(), 6));
    assertThat(driver.tokensOf("b")).isEqualTo(driver.model.expectedOutput(b.promptTokenIds(), 4));
  }

  /** Tenants with a request that has not started yet. */
  private long tenantsWithUnstartedRequests(Set<String> started) {
    return IntStream.range(0, 60)
        .boxed()
        .flatMap(i -> Stream.of("flood-" + i, "quiet-" + i))
        .filter(id -> !started.contains(id))
        .map(id -> id.split("-")[0])
        .distinct()
        .count();
  }
}
