package dev.vlm.server.config;

/**
 * How each model's continuous-batching loop is sized.
 *
 * @param maxRunningSequences sequences decoding together (also the KV slots of in-place decoders)
 * @param maxBatchedTokens prompt and output tokens one step may process
 * @param kvBlockSize positions per KV-cache block
 * @param kvBlocks KV-cache blocks per model; 0 sizes the cache for every running sequence at
 *     the model's full context
 * @param maxEncoderTokensPerStep image tokens the vision encoder may produce in one step
 * @param staticBatching form a new batch only once the running one has finished (a benchmark
 *     baseline; continuous batching when false)
 */
public record BatchingSettings(
    int maxRunningSequences, int maxBatchedTokens, int kvBlockSize, int kvBlocks, int maxEncoderTokensPerStep,
    boolean staticBatching) {
  /**
   * Checks the sizes.
   *
   * @throws IllegalArgumentException if a size is out of range
   */
  public BatchingSettings {
    if (maxRunningSequences <= 0 || maxBatchedTokens <= 0 || kvBlockSize <= 0 || maxEncoderTokensPerStep <= 0) {
      throw new IllegalArgumentException("batching sizes must be positive");
    }
    if (kvBlocks < 0) {
      throw new IllegalArgumentException("kv_blocks must be >= 0 (0 = automatic)");
    }
  }

  /**
   * Continuous batching with the given sizes.
   *
   * @throws IllegalArgumentException if a size is out of range
   */
  public BatchingSettings(
      int maxRunningSequences, int maxBatchedTokens, int kvBlockSize, int kvBlocks, int maxEncoderTokensPerStep) {
    this(maxRunningSequences, maxBatchedTokens, kvBlockSize, kvBlocks, maxEncoderTokensPerStep, false);
  }

  /** The same sizes with static batching on or off. */
  public BatchingSettings withStaticBatching(boolean on) {
    return new BatchingSettings(maxRunningSequences, maxBatchedTokens, kvBlockSize, kvBlocks, maxEncoderTokensPerStep, on);
  }

  /** 32 sequences, 2048 tokens a step, 16-token blocks sized automatically, 8192 image tokens a step. */
  public static BatchingSettings defaults() {
    return new BatchingSettings(32, 2048, 16, 0, 8192);
  }
}
