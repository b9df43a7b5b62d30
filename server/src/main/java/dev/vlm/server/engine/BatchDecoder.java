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
   * @param sequenceId the sequence
   * @param startPosition positions already in its cache; 0 starts (or restarts) it
   * @param embeds {@code length * hiddenSize} floats: the embeddings of the new positions
   * @param length how many positions the row appends
   */
  record Row(String sequenceId, int startPosition, float[] embeds, int length) {}

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
