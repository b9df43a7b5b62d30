package dev.vlm.server.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class MemoryBudgetTest {
  @Test
  void reservationsAreHardAndAllOrNothing() {
    MemoryBudget budget = new MemoryBudget(100);
    assertThat(budget.tryReserve("a", 60)).isTrue();
    assertThat(budget.tryReserve("b", 41)).isFalse();
    assertThat(budget.reservedBy("b")).isZero();
    assertThat(budget.tryReserve("b", 40)).isTrue();
    assertThat(budget.reservedBytes()).isEqualTo(100);
    assertThat(budget.tryReserve("c", 1)).isFalse();
  }

  @Test
  void releaseGivesBackWhatTheOwnerHolds() {
    MemoryBudget budget = new MemoryBudget(100);
    budget.tryReserve("a", 30);
    budget.tryReserve("a", 20);
    assertThat(budget.reservedBy("a")).isEqualTo(50);
    assertThat(budget.releasePart("a", 15)).isEqualTo(15);
    assertThat(budget.reservedBy("a")).isEqualTo(35);
    assertThat(budget.releasePart("a", 1000)).isEqualTo(35);
    assertThat(budget.release("a")).isZero();
    assertThat(budget.reservedBytes()).isZero();
  }

  @Test
  void badSizesAreRefused() {
    assertThatThrownBy(() -> new MemoryBudget(0)).hasMessageContaining("positive");
    assertThatThrownBy(() -> new MemoryBudget(10).tryReserve("a", -1)).hasMessageContaining("negative");
  }

  @Test
  void concurrentReservationsNeverExceedTheLimit() throws Exception {
    MemoryBudget budget = new MemoryBudget(1000);
    AtomicInteger granted = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    for (int i = 0; i < 400; i++) {
      String owner = "m" + (i % 16);
      pool.execute(() -> {
        if (budget.tryReserve(owner, 7)) {
          granted.incrementAndGet();
        }
      });
    }
    pool.shutdown();
    assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    assertThat(granted.get()).isEqualTo(1000 / 7);
    assertThat(budget.reservedBytes()).isEqualTo(granted.get() * 7L);
  }
}
