package dev.vlm.server.config;

import java.time.Duration;
import java.util.Objects;

/**
 * How models share memory.
 *
 * @param memoryBudgetBytes the server-wide limit on what resident models reserve (weights, KV
 *     cache, activations); 0 means a share of the device's memory, measured at start-up
 * @param loadFailureBackoff how long a model whose load failed refuses requests before a request
 *     may try again ({@code LoadModel} retries at once)
 * @param evictionWait how long a load waits for busy models to go idle when the budget is short
 * @param allowDownload whether loading a Hub model that is not in the cache pulls it first; off by
 *     default, so the server never downloads unless told to
 */
public record ResidencySettings(
    long memoryBudgetBytes, Duration loadFailureBackoff, Duration evictionWait, boolean allowDownload) {
  public ResidencySettings {
    Objects.requireNonNull(loadFailureBackoff, "loadFailureBackoff");
    Objects.requireNonNull(evictionWait, "evictionWait");
    if (memoryBudgetBytes < 0) {
      throw new IllegalArgumentException("memory budget must be >= 0 (0 = measured), got " + memoryBudgetBytes);
    }
    if (loadFailureBackoff.isNegative() || evictionWait.isNegative()) {
      throw new IllegalArgumentException("load failure back-off and eviction wait must not be negative");
    }
  }

  /** Settings that never download a model. */
  public ResidencySettings(long memoryBudgetBytes, Duration loadFailureBackoff, Duration evictionWait) {
    this(memoryBudgetBytes, loadFailureBackoff, evictionWait, false);
  }

  /** A measured budget, 30 s back-off after a failed load, 30 s wait for room. */
  public static ResidencySettings defaults() {
    return new ResidencySettings(0, Duration.ofSeconds(30), Duration.ofSeconds(30));
  }

  /** The same settings with another budget. */
  public ResidencySettings withMemoryBudget(long bytes) {
    return new ResidencySettings(bytes, loadFailureBackoff, evictionWait, allowDownload);
  }

  /** The same settings, pulling uncached Hub models on load or not. */
  public ResidencySettings withAllowDownload(boolean allow) {
    return new ResidencySettings(memoryBudgetBytes, loadFailureBackoff, evictionWait, allow);
  }
}
