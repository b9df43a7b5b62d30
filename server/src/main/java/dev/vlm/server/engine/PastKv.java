package dev.vlm.server.engine;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The cache of a batch of rows in ONNX Runtime memory, and whatever owns its memory (the run
 * that produced it, or the tensors themselves): one key and one value tensor per attention
 * layer, each {@code [rows, kvHeads, positions, headDim]}, then, for a hybrid decoder (LFM2),
 * one state per convolution layer, {@code [rows, convChannels, convWidth]} with no time axis.
 * Tensors are ordered as {@link #copy} returns them (the layout's cache index): per attention layer key then value, then
 * the conv states. Not thread-safe.
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

  /**
   * Takes the {@code present.*} and {@code present_conv.*} outputs of a run; closing this closes
   * them. Every other output (the logits, read before this) is freed at once: a prefill chunk's
   * logits are a row per position, and a cache can live for many steps.
   */
  static PastKv fromPresents(OrtSession.Result result, OnnxVlm.DecoderLayout layout) {
    OnnxTensor[] tensors = new OnnxTensor[layout.cacheTensors()];
    Set<String> cacheOutputs = new HashSet<>();
    for (int t = 0; t < tensors.length; t++) {
      tensors[t] = (OnnxTensor) result.get(layout.cacheOutput(t)).orElseThrow();
      cacheOutputs.add(layout.cacheOutput(t));
    }
    for (Map.Entry<String, OnnxValue> output : result) {
      if (!cacheOutputs.contains(output.getKey())) {
        output.getValue().close();
      }
    }
    long[] shape = tensors[0].getInfo().getShape();
    // The result itself is not closed: it would close the outputs a second time.
    return new PastKv(tensors, () -> {
      for (OnnxTensor t : tensors) {
        t.close();
      }
    }, (int) shape[2]);
  }

  /**
   * Copies raw cache elements (the layout's cache type, native order) into new tensors.
   *
   * @param data in {@link #copy}'s order: per attention layer key then value, each
   *     {@code rows * kvHeads * positions * headDim} elements, then per conv layer
   *     {@code rows * convChannels * convWidth}
   */
  static PastKv fromBuffers(OrtEnvironment env, OnnxVlm.DecoderLayout layout, ByteBuffer[] data, long rows, long positions) {
    OnnxTensor[] tensors = new OnnxTensor[data.length];
    int kvTensors = layout.layers() * 2;
    try {
      for (int i = 0; i < data.length; i++) {
        long[] shape = i < kvTensors
            ? new long[] {rows, layout.kvHeads(), positions, layout.headDim()}
            : new long[] {rows, layout.convChannels(), layout.convWidth()};
        tensors[i] = OnnxTensor.createTensor(env, data[i], shape, layout.cacheType().javaType());
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

  /** An empty cache of {@code rows} rows, for a first step: no positions, conv states zero. */
  static PastKv empty(OrtEnvironment env, OnnxVlm.DecoderLayout layout, int rows) {
    ByteBuffer[] data = new ByteBuffer[layout.cacheTensors()];
    for (int i = 0; i < data.length; i++) {
      long elements = i < layout.layers() * 2 ? 0 : (long) rows * layout.convStateSize();
      data[i] = rawBuffer(elements * layout.cacheType().bytes());
    }
    return fromBuffers(env, layout, data, rows, 0);
  }

  /** A zeroed direct buffer of {@code bytes} bytes in native order, as tensors take them. */
  static ByteBuffer rawBuffer(long bytes) {
    if (bytes > Integer.MAX_VALUE) {
      throw new EngineException("a cache tensor of " + bytes + " bytes exceeds 2 GiB", null);
    }
    return ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.nativeOrder());
  }

  /** Cache tensor {@code t}; the graph takes it as {@link OnnxVlm.DecoderLayout#cacheInput}. */
  OnnxTensor tensor(int t) {
    return tensors[t];
  }

  /** Positions per row (padding included). */
  int positions() {
    return positions;
  }

  /**
   * Copies every tensor out as raw elements in native order, per attention layer key then value,
   * then the conv states: one copy each, since ONNX Runtime lends no view of memory it owns.
   */
  ByteBuffer[] copy() {
    ByteBuffer[] data = new ByteBuffer[tensors.length];
    for (int i = 0; i < tensors.length; i++) {
      data[i] = tensors[i].getByteBuffer().order(ByteOrder.nativeOrder());
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
