package dev.vlm.client.bench;

import java.util.Objects;

/**
 * How a benchmark drives load. Closed loop ({@code rate == 0}): {@code concurrency} requests are
 * always in flight, each finished request is replaced at once. Open loop ({@code rate > 0}):
 * requests arrive as a Poisson process at {@code rate} per second whatever the server's pace, up
 * to {@code maxInFlight} at once (arrivals past the cap wait; see {@link BenchReport}).
 *
 * <p>The run ends after {@code requests} measured requests when that is positive, otherwise once
 * {@code durationMillis} has passed (requests in flight then are awaited and counted).
 *
 * @param model the model every request names
 * @param concurrency closed loop: requests in flight; ignored in open loop
 * @param rate open loop: mean arrivals per second; 0 for closed loop
 * @param maxInFlight open loop: the most requests in flight at once
 * @param requests measured requests to issue; 0 to run for {@code durationMillis} instead
 * @param durationMillis how long to issue requests when {@code requests} is 0
 * @param warmup requests run (and awaited) before measuring, not counted
 * @param seed seeds the request mix, the generated prompts and the arrival times
 */
public record BenchConfig(
    String model,
    int concurrency,
    double rate,
    int maxInFlight,
    long requests,
    long durationMillis,
    int warmup,
    long seed) {
  /** The default cap on requests in flight in open loop. */
  public static final int DEFAULT_MAX_IN_FLIGHT = 256;

  /**
   * Validates the configuration.
   *
   * @throws BenchSpecException naming the first field out of range
   */
  public BenchConfig {
    Objects.requireNonNull(model, "model");
    if (model.isBlank()) {
      throw new BenchSpecException("model must not be blank");
    }
    if (concurrency < 1) {
      throw new BenchSpecException("concurrency must be at least 1, got " + concurrency);
    }
    if (!(rate >= 0) || Double.isInfinite(rate)) {
      throw new BenchSpecException("rate must be a finite number >= 0, got " + rate);
    }
    if (maxInFlight < 1) {
      throw new BenchSpecException("maxInFlight must be at least 1, got " + maxInFlight);
    }
    if (requests < 0) {
      throw new BenchSpecException("requests must not be negative, got " + requests);
    }
    if (requests == 0 && durationMillis < 1) {
      throw new BenchSpecException("either requests or durationMillis must be positive");
    }
    if (warmup < 0) {
      throw new BenchSpecException("warmup must not be negative, got " + warmup);
    }
  }

  /**
   * A closed-loop run of {@code requests} requests.
   *
   * @param model the model
   * @param concurrency requests in flight
   * @param requests measured requests
   * @return the configuration, seed 0, no warmup
   * @throws BenchSpecException if a value is out of range
   */
  public static BenchConfig closedLoop(String model, int concurrency, long requests) {
    return new BenchConfig(model, concurrency, 0, DEFAULT_MAX_IN_FLIGHT, requests, 0, 0, 0);
  }

  /**
   * An open-loop run for {@code durationMillis}.
   *
   * @param model the model
   * @param rate mean arrivals per second, positive
   * @param durationMillis how long to issue requests
   * @return the configuration, seed 0, no warmup
   * @throws BenchSpecException if a value is out of range
   */
  public static BenchConfig openLoop(String model, double rate, long durationMillis) {
    if (!(rate > 0)) {
      throw new BenchSpecException("rate must be positive for an open loop, got " + rate);
    }
    return new BenchConfig(model, 1, rate, DEFAULT_MAX_IN_FLIGHT, 0, durationMillis, 0, 0);
  }

  /**
   * Returns a copy with another seed.
   *
   * @param newSeed the seed
   * @return the copy
   */
  public BenchConfig withSeed(long newSeed) {
    return new BenchConfig(
        model, concurrency, rate, maxInFlight, requests, durationMillis, warmup, newSeed);
  }

  /**
   * Returns a copy with another warmup count.
   *
   * @param newWarmup requests run before measuring
   * @return the copy
   * @throws BenchSpecException if negative
   */
  public BenchConfig withWarmup(int newWarmup) {
    return new BenchConfig(
        model, concurrency, rate, maxInFlight, requests, durationMillis, newWarmup, seed);
  }

  /**
   * Returns a copy with another open-loop in-flight cap.
   *
   * @param newMaxInFlight the cap
   * @return the copy
   * @throws BenchSpecException if below 1
   */
  public BenchConfig withMaxInFlight(int newMaxInFlight) {
    return new BenchConfig(
        model, concurrency, rate, newMaxInFlight, requests, durationMillis, warmup, seed);
  }

  /** Whether arrivals follow a Poisson process rather than a fixed concurrency. */
  public boolean openLoop() {
    return rate > 0;
  }
}
