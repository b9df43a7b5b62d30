package dev.vlm.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Who goes first: priorities within a tenant, tenant fair share between tenants. */
class SchedulerOrderTest extends SchedulerTestBase {

  @Test
  void higherPriorityIsAdmittedFirst() {
    start(config().maxRunningSequences(1));
    driver.add(request("low", 3).priority(0).maxNewTokens(2).build());
    driver.add(request("high", 3).priority(9).maxNewTokens(2).build());
    driver.add(request("mid", 3).priority(4).maxNewTokens(2).build());
    driver.add(request("low2", 3).priority(0).maxNewTokens(2).build());
    driver.runUntilIdle(50);
    assertThat(admissionOrder()).containsExactly("high", "mid", "low", "low2");
  }

  @Test
  void aFloodingTenantDoesNotStarveAnother() {
    start(config().maxRunningSequences(2));
    for (int i = 0; i < 30; i++) {
      driver.add(request("flood-" + i, 4).tenant("flood").maxNewTokens(4).build());
    }
    for (int i = 0; i < 5; i++) {
      driver.step();
    }
    driver.add(request("quiet", 4).tenant("quiet").maxNewTokens(4).build());
    int arrivalStep = driver.outputs.size();

    while (!driver.finishes.containsKey("quiet")) {
      driver.step();
    }
    int waited = driver.outputs.size() - arrivalStep;
    // A running slot frees within 4 steps, then 4 steps of output: not 25 requests' worth.
    assertThat(waited).isLessThanOrEqualTo(9);
    long floodLeft = driver.finishes.keySet().stream().filter(id -> id.startsWith("flood")).count();
    assertThat(30 - floodLeft).isGreaterThan(20);
    driver.runUntilIdle(200);
  }

  @Test
  void twoBusyTenantsTakeTurns() {
    start(config().maxRunningSequences(1));
    for (int i = 0; i < 8; i++) {
      driver.add(request("a-" + i, 4).tenant("a").maxNewTokens(3).build());
    }
    for (int i = 0; i < 8; i++) {
      driver.add(request("b-" + i, 4).tenant("b").maxNewTokens(3).build());
    }
    driver.runUntilIdle(200);
    List<String> tenants = admissionOrder().stream().map(id -> id.substring(0, 1)).toList();
    for (int i = 1; i < tenants.size(); i++) {
      assertThat(tenants.get(i)).as("admission %d of %s", i, tenants).isNotEqualTo(tenants.get(i - 1));
    }
  }
}
