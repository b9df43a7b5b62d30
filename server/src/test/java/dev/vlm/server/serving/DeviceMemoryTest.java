package dev.vlm.server.serving;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The default CPU budget leaves room for the Java heap: heap plus budget fit in RAM. */
class DeviceMemoryTest {
  private static final long GIB = 1L << 30;

  @Test
  void theHeapComesOutOfTheBudgetSoBothFit() {
    // deploy/entrypoint.sh: a 20% heap in 16 GiB leaves a 55% budget.
    long ram = 16 * GIB;
    long heap = ram / 5;
    long budget = DeviceMemory.cpuBudget(ram, heap);
    assertThat(budget).isEqualTo(ram * 3 / 4 - heap);
    assertThat(budget + heap).isLessThanOrEqualTo(ram * 3 / 4);
  }

  @Test
  void aHeapSetTooLargeStillLeavesAQuarter() {
    assertThat(DeviceMemory.cpuBudget(8 * GIB, 7 * GIB)).isEqualTo(2 * GIB);
  }
}
