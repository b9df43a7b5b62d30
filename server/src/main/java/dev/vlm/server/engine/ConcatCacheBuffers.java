package dev.vlm.server.engine;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The direct memory behind a {@link ConcatBatchArena}: for each cache tensor (per attention
 * layer key then value, then the conv states) a current buffer, which holds the batch's cache,
 * and a spare one, which receives the next step's presents; {@link #swap} exchanges them. A KV
 * buffer of {@code rows} rows and {@code width} positions is laid out as the graph takes it,
 * {@code [rows, kvHeads, width, headDim]}, a conv buffer as {@code [rows, channels, convWidth]}.
 * Buffers are sized by what is asked for plus a quarter (see {@link #GROWTH_NUMERATOR}), and a
 * spare one that holds over {@link #SHRINK_FACTOR} times the need is reallocated smaller, so a
 * batch that was once large does not pin its peak.
 * Not thread-safe.
 */
final class ConcatCacheBuffers {
  /**
   * A buffer is allocated for 5/4 of what is asked: geometric growth, so reallocations stay rare
   * (a batch of width 256 outgrows its buffers after 64 steps), but not doubling. Two sets are
   * held, and allocating a direct buffer zeroes and faults in every page (about half a
   * millisecond per MiB on the bench machine): doubling would hold up to 4x the cache and pay
   * for twice the memory at every growth.
   */
  private static final long GROWTH_NUMERATOR = 5;
  private static final long GROWTH_DENOMINATOR = 4;
  /** A spare buffer holding more than this many times the need is reallocated smaller. */
  private static final long SHRINK_FACTOR = 4;
  private static final long MAX_FLOATS = Integer.MAX_VALUE / Float.BYTES;
  private static final float[] ZEROS = new float[4096];

  private final OrtEnvironment env;
  private final OnnxVlm.DecoderLayout layout;
  private final int kvTensors;
  private final int state;
  private final int plane;
  private final int maxRows;
  private final int maxPositions;
  private FloatBuffer[] current;
  private FloatBuffer[] spare;

  /**
   * @param maxRows rows the batch is expected to hold at most, and {@code maxPositions} positions
   *     per row: growth headroom never goes past that size, so each set stays within one full
   *     batch (larger requests are still served, exactly sized)
   */
  ConcatCacheBuffers(OrtEnvironment env, OnnxVlm.DecoderLayout layout, int maxRows, int maxPositions) {
    this.env = env;
    this.layout = layout;
    this.maxRows = maxRows;
    this.maxPositions = maxPositions;
    this.kvTensors = layout.layers() * 2;
    this.state = layout.convStateSize();
    this.plane = layout.headDim();
    this.current = new FloatBuffer[layout.cacheTensors()];
    this.spare = new FloatBuffer[layout.cacheTensors()];
  }

  /** Makes the spare buffers fit {@code rows x positions}; their contents do not matter. */
  void fitSpare(int rows, int positions) {
    for (int t = 0; t < spare.length; t++) {
      long floats = floats(t, rows, positions);
      if (spare[t] == null || spare[t].capacity() < floats || spare[t].capacity() > SHRINK_FACTOR * floats) {
        spare[t] = allocate(floats, floats(t, maxRows, maxPositions + 1));
      }
    }
  }

  /** Makes the current buffers fit {@code rows x width}, keeping the first {@code kept} rows. */
  void growCurrent(int rows, int width, int kept) {
    for (int t = 0; t < current.length; t++) {
      long floats = floats(t, rows, width);
      if (current[t] == null || current[t].capacity() < floats) {
        FloatBuffer bigger = allocate(floats, floats(t, maxRows, maxPositions + 1));
        long keep = floats(t, kept, width);
        if (keep > 0) {
          bigger.put(0, current[t], 0, (int) keep);
        }
        current[t] = bigger;
      }
    }
  }

  void swap() {
    FloatBuffer[] t = current;
    current = spare;
    spare = t;
  }

  /**
   * Adds the graph's cache inputs, viewing the current buffers as {@code rows x width}, and its
   * cache outputs, viewing the spare ones as {@code rows x (width + 1)}. The caller closes the views.
   */
  void views(int rows, int width, Map<String, OnnxTensor> past, Map<String, OnnxTensor> present) throws OrtException {
    for (int t = 0; t < current.length; t++) {
      past.put(layout.cacheInput(t), view(current[t], t, rows, width));
      present.put(layout.cacheOutput(t), view(spare[t], t, rows, width + 1));
    }
  }

  private OnnxTensor view(FloatBuffer buffer, int t, int rows, int positions) throws OrtException {
    long[] shape = t < kvTensors
        ? new long[] {rows, layout.kvHeads(), positions, plane}
        : new long[] {rows, layout.convChannels(), layout.convWidth()};
    return OnnxTensor.createTensor(env, buffer.slice(0, (int) floats(t, rows, positions)), shape);
  }

  /** Copies row {@code b}'s conv states from the current buffers to the spare ones. */
  void keepConvStates(int b) {
    for (int t = kvTensors; t < spare.length; t++) {
      spare[t].put(b * state, current[t], b * state, state);
    }
  }

  /**
   * Writes a one-row cache ({@link PastKv#copy}'s order, {@code length} positions) into row
   * {@code b} of the current or spare buffers of width {@code width}, aligned right, padding zero.
   */
  void write(boolean intoSpare, int b, int width, FloatBuffer[] data, int length) {
    FloatBuffer[] into = intoSpare ? spare : current;
    for (int t = 0; t < kvTensors; t++) {
      for (int h = 0; h < layout.kvHeads(); h++) {
        int base = (b * layout.kvHeads() + h) * width * plane;
        zero(into[t], base, (width - length) * plane);
        into[t].put(base + (width - length) * plane, data[t], h * length * plane, length * plane);
      }
    }
    for (int t = kvTensors; t < into.length; t++) {
      into[t].put(b * state, data[t], 0, state);
    }
  }

  /**
   * Copies the real positions (mask 1) of current row {@code from} (width {@code width}), in
   * order, to spare row {@code to}, aligned right in {@code toWidth}, padding zero; conv states too.
   */
  void moveToSpare(int from, int width, long[] mask, int length, int to, int toWidth) {
    for (int t = 0; t < kvTensors; t++) {
      copyReal(current[t], from, width, mask, spare[t], to, toWidth, length);
    }
    for (int t = kvTensors; t < spare.length; t++) {
      spare[t].put(to * state, current[t], from * state, state);
    }
  }

  /** Current row {@code b}'s real positions as a one-row cache in {@link PastKv#copy}'s order. */
  float[][] read(int b, int width, long[] mask, int length) {
    float[][] data = new float[current.length][];
    for (int t = 0; t < data.length; t++) {
      if (t < kvTensors) {
        data[t] = new float[layout.kvHeads() * length * plane];
        copyReal(current[t], b, width, mask, FloatBuffer.wrap(data[t]), 0, length, length);
      } else {
        data[t] = new float[state];
        current[t].get(b * state, data[t]);
      }
    }
    return data;
  }

  private void copyReal(FloatBuffer src, int from, int width, long[] mask, FloatBuffer dst, int to, int toWidth,
      int length) {
    for (int h = 0; h < layout.kvHeads(); h++) {
      int source = (from * layout.kvHeads() + h) * width;
      int target = (to * layout.kvHeads() + h) * toWidth;
      zero(dst, target * plane, (toWidth - length) * plane);
      target += toWidth - length;
      int p = 0;
      while (p < width) {
        if (mask[p] == 0L) {
          p++;
          continue;
        }
        int end = p;
        while (end < width && mask[end] != 0L) {
          end++;
        }
        dst.put(target * plane, src, (source + p) * plane, (end - p) * plane);
        target += end - p;
        p = end;
      }
    }
  }

  /** Bytes the buffers hold. */
  long bytesHeld() {
    long floats = 0;
    for (FloatBuffer[] side : List.of(current, spare)) {
      for (FloatBuffer buffer : side) {
        floats += buffer == null ? 0 : buffer.capacity();
      }
    }
    return floats * Float.BYTES;
  }

  /** Drops every buffer; the direct memory goes with them. */
  void clear() {
    Arrays.fill(current, null);
    Arrays.fill(spare, null);
  }

  /** Floats of tensor {@code t} for {@code rows} rows of {@code positions} positions. */
  private long floats(int t, int rows, int positions) {
    return t < kvTensors ? (long) rows * layout.kvHeads() * positions * plane : (long) rows * state;
  }

  private static void zero(FloatBuffer buffer, int index, int count) {
    for (int done = 0; done < count; done += ZEROS.length) {
      buffer.put(index + done, ZEROS, 0, Math.min(ZEROS.length, count - done));
    }
  }

  /**
   * A direct buffer for {@code floats} floats with room to grow, up to a full batch: a batch's
   * width grows by one position every step, so an exact fit would be outgrown at once.
   */
  private static FloatBuffer allocate(long floats, long fullBatchFloats) {
    if (floats > MAX_FLOATS) {
      throw new EngineException("a batch KV cache tensor of " + floats * Float.BYTES
          + " bytes exceeds 2 GiB; lower the number of sequences or positions", null);
    }
    long grown = Math.min(floats * GROWTH_NUMERATOR / GROWTH_DENOMINATOR, fullBatchFloats);
    long capacity = Math.max(1, Math.min(MAX_FLOATS, Math.max(floats, grown)));
    return ByteBuffer.allocateDirect((int) (capacity * Float.BYTES)).order(ByteOrder.nativeOrder()).asFloatBuffer();
  }
}
