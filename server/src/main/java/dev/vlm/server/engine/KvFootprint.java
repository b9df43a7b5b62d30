package dev.vlm.server.engine;

/**
 * What a model's physical KV cache costs, in one place: the memory reservation, the scheduler's
 * block count for a KV budget and the context capacity all come from here. Built from the
 * decoder graph once it is open ({@link OnnxVlm#kvFootprint}); before that, from config.json
 * with the element size the chosen weight type implies, as an estimate the load trues up.
 *
 * @param layers attention layers
 * @param kvHeads key/value heads per layer
 * @param headDim head size
 * @param elementBytes bytes per cache element: 4 for float32, 2 for float16
 * @param stateBytesPerSequence fixed-size state per sequence (LFM2 conv states), 0 for none
 * @param inPlacePositions positions of the shared past/present buffer of an in-place
 *     (GroupQueryAttention) decoder, 0 for a concatenating decoder
 */
public record KvFootprint(
    int layers, int kvHeads, int headDim, int elementBytes, long stateBytesPerSequence, int inPlacePositions) {

  /** Bytes one position of one sequence takes: keys and values of every layer and KV head. */
  public long bytesPerPosition() {
    return 2L * layers * kvHeads * headDim * elementBytes;
  }

  /**
   * Positions one sequence can hold: {@code context}, or less where an in-place decoder's buffer
   * is shorter. Admission checks requests against this, and the arena is sized by it.
   */
  public int capacity(int context) {
    return inPlacePositions > 0 ? Math.min(inPlacePositions, context) : context;
  }

  /**
   * Bytes the batch decoder's cache can grow to. An in-place decoder: its arena, every sequence at
   * full capacity. A concatenating one: the caches of sequences prefilling alone, which the
   * scheduler's blocks bound, plus its double-buffered decode batch (the past it feeds and the
   * present it receives, {@code context + 1} wide): twice the blocks, or twice a full batch if that
   * is less. The batch pads rows to the longest, which a tight KV budget does not bound (see
   * docs/ARCHITECTURE.md).
   *
   * @param sequences sequences decoding together
   * @param context positions per sequence asked for
   * @param blockSize positions per scheduler block
   * @param blocks the scheduler's blocks
   */
  public long reservedBytes(int sequences, int context, int blockSize, long blocks) {
    long states = stateBytesPerSequence * sequences;
    if (inPlacePositions > 0) {
      return bytesPerPosition() * capacity(context) * sequences + states;
    }
    long fullBatch = 2 * (bytesPerPosition() * (context + 1L) + stateBytesPerSequence) * sequences;
    long blockBytes = bytesPerPosition() * blocks * blockSize;
    return Math.min(fullBatch, 2 * blockBytes) + blockBytes + states;
  }

  /** Scheduler blocks a KV budget of {@code budgetBytes} pays for, at least one. */
  public int blocksFor(long budgetBytes, int blockSize) {
    long blockBytes = bytesPerPosition() * blockSize;
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, budgetBytes / blockBytes));
  }

  /**
   * A working allowance for one step's intermediate tensors: a few hidden-size rows per batched
   * token in the graph's activation type, and a step's float32 logits rows (logits are widened
   * for sampling). An estimate: ONNX Runtime does not report its arena's high-water mark.
   */
  public static long activationBytes(int maxBatchedTokens, int logitRows, int hidden, int vocab, int activationBytes) {
    long hiddenRows = 8L * maxBatchedTokens * hidden * activationBytes;
    long logits = (long) logitRows * vocab * Float.BYTES;
    return hiddenRows + logits;
  }
}
