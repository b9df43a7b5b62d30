package dev.vlm.server.engine;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;

/**
 * The KV cache of a batch of rows in ONNX Runtime memory: one key and one value tensor per
 * layer, each {@code [rows, kvHeads, positions, headDim]}, and whatever owns their memory (the
 * run that produced them, or the tensors themselves). Not thread-safe.
 */
final class PastKv implements AutoCloseable {
  private final OnnxTensor[] tensors;
  private final AutoCloseable owner;
  private final int positions;

  private PastKv(OnnxTensor[] tensors, AutoCloseable owner, int positions) {
    this.tensors = tensors;
    this.owner = owner;
    this.positions = positions;
  }

  /** Takes the {@code present.*} outputs of a run; closing this closes the run's outputs. */
  static PastKv fromPresents(OrtSession.Result result, int layers) {
    OnnxTensor[] tensors = new OnnxTensor[layers * 2];
    for (int layer = 0; layer < layers; layer++) {
      tensors[layer * 2] = (OnnxTensor) result.get("present." + layer + ".key").orElseThrow();
      tensors[layer * 2 + 1] = (OnnxTensor) result.get("present." + layer + ".value").orElseThrow();
    }
    long[] shape = tensors[0].getInfo().getShape();
    return new PastKv(tensors, result, (int) shape[2]);
  }

  /**
   * Copies Java arrays into new tensors.
   *
   * @param data per layer key then value, each {@code rows * kvHeads * positions * headDim}
   */
  static PastKv fromArrays(OrtEnvironment env, float[][] data, long rows, long kvHeads, long positions, long headDim) {
    OnnxTensor[] tensors = new OnnxTensor[data.length];
    try {
      for (int i = 0; i < data.length; i++) {
        tensors[i] = OnnxTensor.createTensor(env, FloatBuffer.wrap(data[i]), new long[] {rows, kvHeads, positions, headDim});
      }
    } catch (OrtException e) {
      for (OnnxTensor t : tensors) {
        if (t != null) {
          t.close();
        }
      }
      throw new EngineException("cannot allocate a KV cache tensor: " + e.getMessage(), e);
    }
    OnnxTensor[] owned = tensors;
    return new PastKv(tensors, () -> {
      for (OnnxTensor t : owned) {
        t.close();
      }
    }, (int) positions);
  }

  /** An empty cache of {@code rows} rows, for a first step. */
  static PastKv empty(OrtEnvironment env, int layers, int rows, int kvHeads, int headDim) {
    return fromArrays(env, new float[layers * 2][0], rows, kvHeads, 0, headDim);
  }

  OnnxTensor key(int layer) {
    return tensors[layer * 2];
  }

  OnnxTensor value(int layer) {
    return tensors[layer * 2 + 1];
  }

  /** Positions per row (padding included). */
  int positions() {
    return positions;
  }

  /** Copies every tensor out, per layer key then value. */
  float[][] read() {
    float[][] data = new float[tensors.length][];
    for (int i = 0; i < tensors.length; i++) {
      FloatBuffer buffer = tensors[i].getFloatBuffer();
      data[i] = new float[buffer.remaining()];
      buffer.get(data[i]);
    }
    return data;
  }

  @Override
  public void close() {
    try {
      owner.close();
    } catch (Exception e) {
      // Native memory is released or lost either way; nothing to recover.
    }
  }
}
