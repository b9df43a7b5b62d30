package dev.vlm.server.engine;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import java.nio.ByteBuffer;
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
 * batch that was once large does not pin its peak. Elements are of the graph's cache type
 * (float32 or float16); a buffer replaced or cleared is freed at once.
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
  /** One tensor view is one ByteBuffer, so a buffer stays under 2 GiB. */
  private static final long MAX_BYTES = Integer.MAX_VALUE;

  private final OrtEnvironment env;
  private final OnnxVlm.DecoderLayout layout;
  private final int kvTensors;
  private final int state;
  private final int plane;
  private final int maxRows;
  private final int maxPositions;
  private final ElementType type;
  private KvBuffer[] current;
  private KvBuffer[] spare;

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
    this.type = layout.cacheType();
    this.current = new KvBuffer[layout.cacheTensors()];
    this.spare = new KvBuffer[layout.cacheTensors()];
  }

  /** Makes the spare buffers fit {@code rows x positions}; their contents do not matter. */
  void fitSpare(int rows, int positions) {
    for (int t = 0; t < spare.length; t++) {
      long elements = elements(t, rows, positions);
      if (spare[t] == null || spare[t].capacity() < elements || spare[t].capacity() > SHRINK_FACTOR * elements) {
        KvBuffer.closeQuietly(spare[t]);
        spare[t] = null;
        spare[t] = allocate(elements, elements(t, maxRows, maxPositions + 1));
      }
    }
  }

  /** Makes the current buffers fit {@code rows x width}, keeping the first {@code kept} rows. */
  void growCurrent(int rows, int width, int kept) {
    for (int t = 0; t < current.length; t++) {
      long elements = elements(t, rows, width);
      if (current[t] == null || current[t].capacity() < elements) {
        KvBuffer bigger = allocate(elements, elements(t, maxRows, maxPositions + 1));
        long keep = elements(t, kept, width);
        if (keep > 0) {
          bigger.copy(0, current[t], 0, keep);
        }
        KvBuffer.closeQuietly(current[t]);
        current[t] = bigger;
      }
    }
  }

  void swap() {
    KvBuffer[] t = current;
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

  private OnnxTensor view(KvBuffer buffer, int t, int rows, int positions) throws OrtException {
    long[] shape = t < kvTensors
        ? new long[] {rows, layout.kvHeads(), positions, plane}
        : new long[] {rows, layout.convChannels(), layout.convWidth()};
    return buffer.tensor(env, 0, shape);
  }

  /** Copies row {@code b}'s conv states from the current buffers to the spare ones. */
  void keepConvStates(int b) {
    for (int t = kvTensors; t < spare.length; t++) {
      spare[t].copy((long) b * state, current[t], (long) b * state, state);
    }
  }

  /**
   * Writes a one-row cache ({@link PastKv#copy}'s order, {@code length} positions) into row
   * {@code b} of the current or spare buffers of width {@code width}, aligned right, padding zero.
   */
  void write(boolean intoSpare, int b, int width, ByteBuffer[] data, int length) {
    KvBuffer[] into = intoSpare ? spare : current;
    for (int t = 0; t < kvTensors; t++) {
      for (int h = 0; h < layout.kvHeads(); h++) {
        long base = ((long) b * layout.kvHeads() + h) * width * plane;
        into[t].zero(base, (long) (width - length) * plane);
        into[t].copy(base + (long) (width - length) * plane, data[t], (long) h * length * plane, (long) length * plane);
      }
    }
    for (int t = kvTensors; t < into.length; t++) {
      into[t].copy((long) b * state, data[t], 0, state);
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
      spare[t].copy((long) to * state, current[t], (long) from * state, state);
    }
  }

  /**
   * Current row {@code b}'s real positions as a one-row cache in {@link PastKv#copy}'s order: raw
   * elements of the cache type, in native order.
   */
  ByteBuffer[] read(int b, int width, long[] mask, int length) {
    ByteBuffer[] data = new ByteBuffer[current.length];
    for (int t = 0; t < data.length; t++) {
      if (t < kvTensors) {
        data[t] = PastKv.rawBuffer((long) layout.kvHeads() * length * plane * type.bytes());
        copyReal(current[t], b, width, mask, KvBuffer.over(type, data[t]), 0, length, length);
      } else {
        data[t] = PastKv.rawBuffer((long) state * type.bytes());
        KvBuffer.over(type, data[t]).copy(0, current[t], (long) b * state, state);
      }
    }
    return data;
  }

  private void copyReal(KvBuffer src, int from, int width, long[] mask, KvBuffer dst, int to, int toWidth,
      int length) {
    for (int h = 0; h < layout.kvHeads(); h++) {
      long source = ((long) from * layout.kvHeads() + h) * width;
      long target = ((long) to * layout.kvHeads() + h) * toWidth;
      dst.zero(target * plane, (long) (toWidth - length) * plane);
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
        dst.copy(target * plane, src, (source + p) * plane, (long) (end - p) * plane);
        target += end - p;
        p = end;
      }
    }
  }

  /** Bytes the buffers hold. */
  long bytesHeld() {
    long bytes = 0;
    for (KvBuffer[] side : List.of(current, spare)) {
      for (KvBuffer buffer : side) {
        bytes += buffer == null ? 0 : buffer.bytes();
      }
    }
    return bytes;
  }

  /** Frees every buffer now. */
  void clear() {
    for (KvBuffer[] side : List.of(current, spare)) {
      for (int t = 0; t < side.length; t++) {
        KvBuffer.closeQuietly(side[t]);
        side[t] = null;
      }
    }
  }

  /** Elements of tensor {@code t} for {@code rows} rows of {@code positions} positions. */
  private long elements(int t, int rows, int positions) {
    return t < kvTensors ? (long) rows * layout.kvHeads() * positions * plane : (long) rows * state;
  }

  /**
   * A buffer for {@code elements} elements with room to grow, up to a full batch: a batch's
   * width grows by one position every step, so an exact fit would be outgrown at once.
   */
  private KvBuffer allocate(long elements, long fullBatchElements) {
    long maxElements = MAX_BYTES / type.bytes();
    if (elements > maxElements) {
      throw new EngineException("a batch KV cache tensor of " + elements * type.bytes()
          + " bytes exceeds 2 GiB; lower the number of sequences or positions", null);
    }
    long grown = Math.min(elements * GROWTH_NUMERATOR / GROWTH_DENOMINATOR, fullBatchElements);
    return KvBuffer.allocate(type, Math.max(1, Math.min(maxElements, Math.max(elements, grown))));
  }
}
