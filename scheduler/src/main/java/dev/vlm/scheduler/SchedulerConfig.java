package dev.vlm.scheduler;

/**
 * Limits the scheduler works within. Build with {@link #builder()}; every value is checked
 * when built.
 *
 * <p>Immutable, thread-safe.
 *
 * @param blockSize token positions per KV block
 * @param totalBlocks KV blocks in the pool
 * @param maxBatchedTokens tokens (prefill and decode together) one step may process
 * @param maxRunningSequences sequences that may hold KV at once
 * @param maxWaitingRequests requests that may wait without ever having been admitted; more is
 *     refused with {@link QueueFullException} (preempted requests return regardless)
 * @param maxEncoderTokensPerStep image tokens the vision encoder may produce in one step; 0
 *     refuses requests with images
 * @param staticBatching form a batch only when nothing is running (admitting up to {@code
 *     maxRunningSequences}, over several steps if the token budget needs them) and admit nothing
 *     more until all of it has finished: a baseline to measure continuous batching against, not
 *     a serving mode
 */
public record SchedulerConfig(
    int blockSize,
    int totalBlocks,
    int maxBatchedTokens,
    int maxRunningSequences,
    int maxWaitingRequests,
    int maxEncoderTokensPerStep,
    boolean staticBatching) {

  /**
   * Checks every limit.
   *
   * @throws IllegalArgumentException naming the first value out of range
   */
  public SchedulerConfig {
    atLeast("blockSize", blockSize, 1);
    atLeast("totalBlocks", totalBlocks, 1);
    atLeast("maxBatchedTokens", maxBatchedTokens, 1);
    atLeast("maxRunningSequences", maxRunningSequences, 1);
    atLeast("maxWaitingRequests", maxWaitingRequests, 1);
    atLeast("maxEncoderTokensPerStep", maxEncoderTokensPerStep, 0);
  }

  /**
   * A config with continuous batching (no static batching).
   *
   * @throws IllegalArgumentException naming the first value out of range
   */
  public SchedulerConfig(
      int blockSize,
      int totalBlocks,
      int maxBatchedTokens,
      int maxRunningSequences,
      int maxWaitingRequests,
      int maxEncoderTokensPerStep) {
    this(blockSize, totalBlocks, maxBatchedTokens, maxRunningSequences, maxWaitingRequests,
        maxEncoderTokensPerStep, false);
  }

  /** A builder with modest defaults (16-token blocks, 1024 blocks, 2048 tokens per step). */
  public static Builder builder() {
    return new Builder();
  }

  /** KV capacity of the whole pool in token positions. */
  public long kvCapacityTokens() {
    return (long) blockSize * totalBlocks;
  }

  /**
   * Checks that {@code request} could be served when it runs alone: its longest KV footprint
   * (prompt plus all but the last generated token) fits in the pool, and each image fits in one
   * step's encoder budget. Otherwise it would wait forever.
   *
   * @throws InvalidRequestException naming the limit the request exceeds
   */
  public void checkServable(Request request) {
    long kvTokens = (long) request.promptLength() + request.maxNewTokens() - 1;
    if (kvTokens > kvCapacityTokens()) {
      throw new InvalidRequestException(
          "request " + request.id() + " needs " + kvTokens + " KV positions (prompt "
              + request.promptLength() + " + maxNewTokens " + request.maxNewTokens()
              + " - 1) but the KV pool holds " + kvCapacityTokens());
    }
    for (ImageSpan image : request.images()) {
      if (image.length() > maxEncoderTokensPerStep) {
        throw new InvalidRequestException(
            "image at offset " + image.offset() + " of request " + request.id() + " has "
                + image.length() + " tokens but the encoder budget per step is "
                + maxEncoderTokensPerStep);
      }
    }
  }

  private static void atLeast(String name, int value, int min) {
    if (value < min) {
      throw new IllegalArgumentException(name + " must be >= " + min + ", got " + value);
    }
  }

  /**
   * Fluent construction of a {@link SchedulerConfig}.
   *
   * <p>Not thread-safe.
   */
  public static final class Builder {
    private int blockSize = 16;
    private int totalBlocks = 1024;
    private int maxBatchedTokens = 2048;
    private int maxRunningSequences = 64;
    private int maxWaitingRequests = 1024;
    private int maxEncoderTokensPerStep = 4096;
    private boolean staticBatching;

    private Builder() {}

    /** Token positions per KV block. */
    public Builder blockSize(int blockSize) {
      this.blockSize = blockSize;
      return this;
    }

    /** KV blocks in the pool. */
    public Builder totalBlocks(int totalBlocks) {
      this.totalBlocks = totalBlocks;
      return this;
    }

    /** Tokens one step may process. */
    public Builder maxBatchedTokens(int maxBatchedTokens) {
      this.maxBatchedTokens = maxBatchedTokens;
      return this;
    }

    /** Sequences that may run at once. */
    public Builder maxRunningSequences(int maxRunningSequences) {
      this.maxRunningSequences = maxRunningSequences;
      return this;
    }

    /** Never-admitted requests that may wait. */
    public Builder maxWaitingRequests(int maxWaitingRequests) {
      this.maxWaitingRequests = maxWaitingRequests;
      return this;
    }

    /** Image tokens the encoder may produce per step. */
    public Builder maxEncoderTokensPerStep(int maxEncoderTokensPerStep) {
      this.maxEncoderTokensPerStep = maxEncoderTokensPerStep;
      return this;
    }

    /** Whether a new batch is formed only once the running one has finished. */
    public Builder staticBatching(boolean staticBatching) {
      this.staticBatching = staticBatching;
      return this;
    }

    /**
     * Checks every limit and builds the config.
     *
     * @throws IllegalArgumentException naming the first value out of range
     */
    public SchedulerConfig build() {
      return new SchedulerConfig(
          blockSize,
          totalBlocks,
          maxBatchedTokens,
          maxRunningSequences,
          maxWaitingRequests,
          maxEncoderTokensPerStep,
          staticBatching);
    }
  }
}
