package dev.vlm.server.engine;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;

/**
 * The cache of a batch of rows in ONNX Runtime memory, and whatever owns its memory (the run
 * that produced it, or the tensors themselves): one key and one value tensor per attention
 * layer, each {@code [rows, kvHeads, positions, headDim]}, then, for a hybrid decoder (LFM2),
 * one state per convolution layer, {@code [rows, convChannels, convWidth]} with no time axis.
 * Tensors are ordered as {@link #read} returns them: per attention layer key then value, then
 * the conv states. Not thread-safe.
 */
final class PastKv implements AutoCloseable {
  private final OnnxTensor[] tensors;
  private final AutoCloseable owner;
  private final int positions;
  private final int attentionLayers;

  private PastKv(OnnxTensor[] tensors, AutoCloseable owner, int positions, int attentionLayers) {
    this.tensors = tensors;
    this.owner = owner;
    this.positions = positions;
    this.attentionLayers = attentionLayers;
  }

  /** Takes the {@code present.*} and {@code present_conv.*} outputs of a run; closing this closes the run's outputs. */
  static PastKv fromPresents(OrtSession.Result result, OnnxVlm.DecoderLayout layout) {
    int attention = layout.layers();
    OnnxTensor[] tensors = new OnnxTensor[layout.cacheTensors()];
    for (int k = 0; k < attention; k++) {
      int layer = layout.attentionLayer(k);
      tensors[k * 2] = (OnnxTensor) result.get("present." + layer + ".key").orElseThrow();
      tensors[k * 2 + 1] = (OnnxTensor) result.get("present." + layer + ".value").orElseThrow();
    }
    for (int j = 0; j < layout.convLayers().length; j++) {
      tensors[attention * 2 + j] =
          (OnnxTensor) result.get("present_conv." + layout.convLayers()[j]).orElseThrow();
    }
    long[] shape = tensors[0].getInfo().getShape();
    return new PastKv(tensors, result, (int) shape[2], attention);
  }

  /**
   * Copies Java arrays into new tensors.
   *
   * @param data in {@link #read}'s order: per attention layer key then value, each
   *     {@code rows * kvHeads * positions * headDim}, then per conv layer
   *     {@code rows * convChannels * convWidth}
   */
  static PastKv fromArrays(OrtEnvironment env, OnnxVlm.DecoderLayout layout, float[][] data, long rows, long positions) {
    OnnxTensor[] tensors = new OnnxTensor[data.length];
    int kvTensors = layout.layers() * 2;
    try {
      for (int i = 0; i < data.length; i++) {
        long[] shape = i < kvTensors
            ? new long[] {rows, layout.kvHeads(), positions, layout.headDim()}
            : new long[] {rows, layout.convChannels(), layout.convWidth()};
        tensors[i] = OnnxTensor.createTensor(env, FloatBuffer.wrap(data[i]), shape);
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
    }, (int) positions, layout.layers());
  }

  /** An empty cache of {@code rows} rows, for a first step: no positions, conv states zero. */
  static PastKv empty(OrtEnvironment env, OnnxVlm.DecoderLayout layout, int rows) {
    float[][] data = new float[layout.cacheTensors()][];
    for (int i = 0; i < data.length; i++) {
      data[i] = new float[i < layout.layers() * 2 ? 0 : rows * layout.convStateSize()];
    }
    return fromArrays(env, layout, data, rows, 0);
  }

  /** Key of the {@code k}-th attention layer (in graph order). */
  OnnxTensor key(int k) {
    return tensors[k * 2];
  }

  /** Value of the {@code k}-th attention layer (in graph order). */
  OnnxTensor value(int k) {
    return tensors[k * 2 + 1];
  }

  /** State of the {@code j}-th convolution layer (in graph order). */
  OnnxTensor conv(int j) {
    return tensors[attentionLayers * 2 + j];
  }

  /** Positions per row (padding included). */
  int positions() {
    return positions;
  }

  /** Copies every tensor out, per attention layer key then value, then the conv states. */
  float[][] read() {
    FloatBuffer[] buffers = copy();
    float[][] data = new float[tensors.length][];
    for (int i = 0; i < tensors.length; i++) {
      data[i] = new float[buffers[i].remaining()];
      buffers[i].get(data[i]);
    }
    return data;
  }

  /** The same as buffers, one copy each (ONNX Runtime lends no view of memory it owns). */
  FloatBuffer[] copy() {
    FloatBuffer[] data = new FloatBuffer[tensors.length];
    for (int i = 0; i < tensors.length; i++) {
      data[i] = tensors[i].getFloatBuffer();
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
