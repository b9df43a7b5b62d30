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
 */
public record BatchingSettings(
    int maxRunningSequences, int maxBatchedTokens, int kvBlockSize, int kvBlocks, int maxEncoderTokensPerStep) {
  public BatchingSettings {
    if (maxRunningSequences <= 0 || maxBatchedTokens <= 0 || kvBlockSize <= 0 || maxEncoderTokensPerStep <= 0) {
      throw new IllegalArgumentException("batching sizes must be positive");
    }
    if (kvBlocks < 0) {
      throw new IllegalArgumentException("kv_blocks must be >= 0 (0 = automatic)");
    }
  }

  /** 32 sequences, 2048 tokens a step, 16-token blocks sized automatically, 8192 image tokens a step. */
  public static BatchingSettings defaults() {
    return new BatchingSettings(32, 2048, 16, 0, 8192);
  }
}
