package dev.vlm.server.engine;

import java.util.List;

/**
 * Runs the decoder for many sequences at once and keeps their KV caches between steps. Each
 * step, every row appends some positions (one for a decode, a chunk for a prefill) and gets
 * the logits after its last position. Which rows share one ONNX Runtime call is the
 * implementation's business; results never depend on it. Not thread-safe: the model's loop
 * thread owns it.
 */
public interface BatchDecoder extends AutoCloseable {
  /**
   * One step's work for one sequence.
   *
   * <p>Position ids are the rotary positions of the new tokens. Without explicit ones they are
   * the cache indices {@code startPosition, startPosition + 1, ...}. Multimodal-RoPE models
   * (Qwen2-VL) give them explicitly: three rows (temporal, height, width) for a prefill with
   * images, or one row that all three share, e.g. {@code cache index + rope delta} on decode
   * steps (see {@link #withPositionOffset}). One row is broadcast to a decoder that takes three.
   *
   * @param sequenceId the sequence
   * @param startPosition positions already in its cache; 0 starts (or restarts) it
   * @param embeds {@code length * hiddenSize} floats: the embeddings of the new positions
   * @param length how many positions the row appends
   * @param positionIds null for the cache indices, else 1 or 3 rows of {@code length} ids each
   */
  record Row(String sequenceId, int startPosition, float[] embeds, int length, long[][] positionIds) {
    /**
     * Checks the position ids' shape.
     *
     * @throws IllegalArgumentException if {@code positionIds} has not 1 or 3 rows of
     *     {@code length} ids
     */
    public Row {
      DecoderRun.checkPositionIds("sequence " + sequenceId, positionIds, length);
    }

    /** A row whose positions are its cache indices. */
    public Row(String sequenceId, int startPosition, float[] embeds, int length) {
      this(sequenceId, startPosition, embeds, length, null);
    }

    /**
     * A row whose positions are its cache indices plus {@code offset} (Qwen2-VL's rope delta after
     * a prompt with images), the same on every position row.
     *
     * @param sequenceId the sequence
     * @param startPosition positions already in its cache
     * @param embeds {@code length * hiddenSize} floats
     * @param length how many positions the row appends
     * @param offset added to every cache index
     * @return the row
     */
    public static Row withPositionOffset(String sequenceId, int startPosition, float[] embeds, int length, long offset) {
      long[] ids = new long[length];
      for (int i = 0; i < length; i++) {
        ids[i] = startPosition + i + offset;
      }
      return new Row(sequenceId, startPosition, embeds, length, new long[][] {ids});
    }

    /** The position ids to feed: the explicit ones, or the cache indices as one row. */
    long[][] resolvedPositionIds() {
      return positionIds != null ? positionIds : DecoderRun.sequential(startPosition, length);
    }

    /** Whether the positions are the cache indices on every row (explicit or not). */
    boolean hasSequentialPositions() {
      if (positionIds == null) {
        return true;
      }
      for (long[] ids : positionIds) {
        for (int i = 0; i < length; i++) {
          if (ids[i] != startPosition + i) {
            return false;
          }
        }
      }
      return true;
    }
  }

  /**
   * Appends each row's positions and returns, per row in order, the next-token logits after its
   * last position.
   *
   * @throws EngineException if ONNX Runtime fails
   * @throws IllegalArgumentException if a row's start position does not match its cache
   */
  float[][] step(List<Row> rows);

  /** Frees a sequence's cache; unknown ids are ignored. */
  void release(String sequenceId);

  /** Most positions one sequence may hold. */
  int maxPositions();

  /** Frees every cache. */
  @Override
  void close();
}
