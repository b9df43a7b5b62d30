package dev.vlm.server.engine;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The decode batch of a {@link ConcatBatchDecoder}: its rows' caches in direct memory this class
 * owns, and which sequence holds which row.
 *
 * <p>Each cache tensor has two buffers. A step feeds the current one as the past, viewed as
 * {@code [rows, kvHeads, width, headDim]} (a conv state as {@code [rows, channels, convWidth]}),
 * and pins the spare one as the present output, {@code [rows, kvHeads, width + 1, headDim]},
 * which the graph fills with past and new position; then the two swap. ONNX Runtime allocates
 * no cache, and no cache is copied to Java.
 *
 * <p>Rows stay where they are when the membership changes. A released sequence leaves a dead
 * row: mask 0 on its old positions, zero input, logits ignored, but mask 1 on each step's new
 * position, so that no row is ever fully masked. A joiner, prefilled alone, is written into a
 * dead row (or a new last row), aligned on the right, its padding zero and masked. A member
 * missing from a step's decode rows idles: its new position is masked 0 for good and not
 * counted, and its conv states are put back as they were (the graph would shift a zero into
 * them). Only a joiner longer than the width, or a batch grown too sparse (see {@link #admit}),
 * is re-laid out: one copy, buffer to buffer, of the members' real positions. Buffers are sized
 * by what a step needs, grow by doubling, and shrink when they hold over four times the need.
 *
 * <p>Every float in the buffers is zero or was written by the graph or copied from a cache, so
 * masked positions are finite and weigh exactly nothing. Not thread-safe.
 */
final class ConcatBatchArena implements AutoCloseable {
  /**
   * A batch is re-laid out when its cells (rows x width) exceed this many times what the compact
   * layout (members x longest member) needs. Padding and dead rows cost every step in attention
   * and cache traffic, while a re-layout is one copy of the real positions, about what a single
   * step reads. At 2 no step costs over twice the compact batch's cache work or memory, and each
   * re-layout at least halves the cells, so it is soon paid back and cannot recur every step.
   */
  private static final long SPARSE_FACTOR = 2;
  /** A buffer holding more than this many times what a step needs is reallocated smaller. */
  private static final long SHRINK_FACTOR = 4;
  private static final long MAX_FLOATS = Integer.MAX_VALUE / Float.BYTES;
  private static final float[] ZEROS = new float[4096];

  /** A sequence prefilled alone: its cache as {@link PastKv#read} gives it, one row. */
  record Joiner(String id, float[][] data, int length) {}

  private final OrtEnvironment env;
  private final OrtSession decoder;
  private final OnnxVlm.DecoderLayout layout;
  private final int maxPositions;
  private final int kvTensors;
  private final int state;
  private FloatBuffer[] current;
  private FloatBuffer[] spare;
  private int rows;
  private int width;
  private String[] ids = new String[0];
  private int[] lengths = new int[0];
  private long[][] masks = new long[0][];
  private final Map<String, Integer> rowOf = new HashMap<>();
  private int relayouts;

  ConcatBatchArena(OrtEnvironment env, OrtSession decoder, OnnxVlm.DecoderLayout layout, int maxPositions) {
    this.env = env;
    this.decoder = decoder;
    this.layout = layout;
    this.maxPositions = maxPositions;
    this.kvTensors = layout.layers() * 2;
    this.state = layout.convStateSize();
    this.current = new FloatBuffer[layout.cacheTensors()];
    this.spare = new FloatBuffer[layout.cacheTensors()];
  }

  /** Positions the sequence holds in the batch, 0 if it holds no row. */
  int lengthOf(String id) {
    Integer b = rowOf.get(id);
    return b == null ? 0 : lengths[b];
  }

  boolean holds(String id) {
    return rowOf.containsKey(id);
  }

  /** Rows of the batch tensors, dead ones included. */
  int rows() {
    return rows;
  }

  /** Positions per row, padding included. */
  int width() {
    return width;
  }

  /** How often the batch was re-laid out. */
  int relayouts() {
    return relayouts;
  }

  /** Bytes the cache buffers hold. */
  long bytesHeld() {
    long floats = 0;
    for (FloatBuffer[] side : List.of(current, spare)) {
      for (FloatBuffer buffer : side) {
        floats += buffer == null ? 0 : buffer.capacity();
      }
    }
    return floats * Float.BYTES;
  }

  /** Leaves the sequence's row dead; unknown ids are ignored. */
  void remove(String id) {
    Integer b = rowOf.remove(id);
    if (b == null) {
      return;
    }
    ids[b] = null;
    lengths[b] = 0;
    Arrays.fill(masks[b], 0L);
    // Trailing rows go for free: rows are the outermost axis.
    while (rows > 0 && ids[rows - 1] == null) {
      rows--;
    }
    if (rows == 0) {
      width = 0;
    }
  }

  /** Takes the sequence out as one of its own: copies its real positions out, leaves its row dead. */
  KvSequence takeOut(String id) {
    int b = rowOf.get(id);
    int length = lengths[b];
    float[][] data = new float[layout.cacheTensors()][];
    for (int t = 0; t < data.length; t++) {
      if (t < kvTensors) {
        data[t] = new float[layout.kvHeads() * length * layout.headDim()];
        copyReal(current[t], b, width, masks[b], FloatBuffer.wrap(data[t]), 0, length, length);
      } else {
        data[t] = new float[state];
        current[t].get(b * state, data[t]);
      }
    }
    remove(id);
    return new KvSequence(env, decoder, layout, PastKv.fromArrays(env, layout, data, 1, length), length);
  }

  /**
   * Gives each joiner a row: a dead one, else a new last row. Re-lays the batch out instead when a
   * joiner is longer than the width, when the next step would pass {@code maxPositions} and
   * compacting helps, or when the batch, joiners placed, would hold over
   * {@link #SPARSE_FACTOR} times the cells of its compact layout.
   */
  void admit(List<Joiner> joiners) {
    int widest = 0;
    for (int b = 0; b < rows; b++) {
      widest = Math.max(widest, lengths[b]);
    }
    int longestJoiner = 0;
    for (Joiner joiner : joiners) {
      longestJoiner = Math.max(longestJoiner, joiner.length());
    }
    widest = Math.max(widest, longestJoiner);
    int count = rowOf.size() + joiners.size();
    int rowsAfter = Math.max(rows, count);
    if (longestJoiner > width
        || (width + 1 > maxPositions && widest < width)
        || (long) rowsAfter * width > SPARSE_FACTOR * count * widest) {
      relayout(joiners, count, widest);
      return;
    }
    for (Joiner joiner : joiners) {
      int b = 0;
      while (b < rows && ids[b] != null) {
        b++;
      }
      if (b == rows) {
        for (int t = 0; t < current.length; t++) {
          current[t] = grown(current[t], floats(t, rows + 1, width), floats(t, rows, width));
        }
        rows++;
        ensureRows(rows);
      }
      write(current, b, width, joiner);
      take(b, joiner.id(), joiner.length(), width);
    }
  }

  /** Members first, in row order, then the joiners, each aligned right in {@code newWidth}. */
  private void relayout(List<Joiner> joiners, int count, int newWidth) {
    for (int t = 0; t < spare.length; t++) {
      spare[t] = sized(spare[t], floats(t, count, newWidth));
    }
    String[] newIds = new String[count];
    int[] newLengths = new int[count];
    int r = 0;
    for (int b = 0; b < rows; b++) {
      if (ids[b] == null) {
        continue;
      }
      for (int t = 0; t < kvTensors; t++) {
        copyReal(current[t], b, width, masks[b], spare[t], r, newWidth, lengths[b]);
      }
      for (int t = kvTensors; t < spare.length; t++) {
        spare[t].put(r * state, current[t], b * state, state);
      }
      newIds[r] = ids[b];
      newLengths[r++] = lengths[b];
    }
    for (Joiner joiner : joiners) {
      write(spare, r, newWidth, joiner);
      newIds[r] = joiner.id();
      newLengths[r++] = joiner.length();
    }
    swap();
    rows = count;
    width = newWidth;
    ids = new String[count];
    lengths = new int[count];
    masks = new long[count][0];
    rowOf.clear();
    for (int b = 0; b < count; b++) {
      take(b, newIds[b], newLengths[b], newWidth);
    }
    relayouts++;
  }

  /**
   * One decode step for {@code decodeRows}, all of them members; other members idle.
   *
   * @return per decode row, in order, its next-token logits
   */
  float[][] step(List<BatchDecoder.Row> decodeRows) {
    int next = width + 1;
    int hidden = layout.hiddenSize();
    int[] decodeOf = new int[rows];
    Arrays.fill(decodeOf, -1);
    for (int k = 0; k < decodeRows.size(); k++) {
      decodeOf[rowOf.get(decodeRows.get(k).sequenceId())] = k;
    }
    float[] embeds = new float[rows * hidden];
    long[] mask = new long[rows * next];
    List<long[][]> positions = new ArrayList<>(rows);
    for (int b = 0; b < rows; b++) {
      System.arraycopy(masks[b], 0, mask, b * next, width);
      BatchDecoder.Row row = decodeOf[b] < 0 ? null : decodeRows.get(decodeOf[b]);
      if (row != null) {
        System.arraycopy(row.embeds(), 0, embeds, b * hidden, hidden);
        mask[b * next + width] = 1L;
        positions.add(row.resolvedPositionIds());
      } else {
        // A dead row attends its new position (never a fully masked row); an idle one does not.
        mask[b * next + width] = ids[b] == null ? 1L : 0L;
        positions.add(DecoderRun.sequential(lengths[b], 1));
      }
    }
    long[] positionIds = DecoderRun.layoutPositions(layout, positions, 1);
    for (int t = 0; t < spare.length; t++) {
      spare[t] = sized(spare[t], floats(t, rows, next));
    }
    float[][] all = run(embeds, mask, positionIds, next);
    for (int b = 0; b < rows; b++) {
      if (ids[b] != null && decodeOf[b] < 0) {
        for (int t = kvTensors; t < spare.length; t++) {
          spare[t].put(b * state, current[t], b * state, state);
        }
      }
    }
    swap();
    float[][] logits = new float[decodeRows.size()][];
    for (int b = 0; b < rows; b++) {
      if (masks[b].length < next) {
        masks[b] = Arrays.copyOf(masks[b], Math.max(next, masks[b].length * 2));
      }
      masks[b][width] = decodeOf[b] < 0 ? 0L : 1L;
      if (decodeOf[b] >= 0) {
        lengths[b]++;
        logits[decodeOf[b]] = all[b];
      }
    }
    width = next;
    return logits;
  }

  /** Runs the graph on the current buffers, writing the presents into the spare ones. */
  private float[][] run(float[] embeds, long[] mask, long[] positionIds, int next) {
    Map<String, OnnxTensor> past = new HashMap<>();
    Map<String, OnnxTensor> present = new HashMap<>();
    try {
      for (int k = 0; k < layout.layers(); k++) {
        for (int kind = 0; kind < 2; kind++) {
          String name = layout.attentionLayer(k) + (kind == 0 ? ".key" : ".value");
          int t = k * 2 + kind;
          past.put("past_key_values." + name, kvView(current[t], width));
          present.put("present." + name, kvView(spare[t], next));
        }
      }
      for (int j = 0; j < layout.convLayers().length; j++) {
        int t = kvTensors + j;
        past.put("past_conv." + layout.convLayers()[j], convView(current[t]));
        present.put("present_conv." + layout.convLayers()[j], convView(spare[t]));
      }
      try (OrtSession.Result result =
          DecoderRun.run(env, decoder, layout, embeds, rows, 1, mask, positionIds, width, past, present)) {
        return DecoderRun.lastLogitsPerRow(result, rows);
      }
    } catch (OrtException e) {
      throw new EngineException("cannot view the batch cache as a tensor: " + e.getMessage(), e);
    } finally {
      past.values().forEach(OnnxTensor::close);
      present.values().forEach(OnnxTensor::close);
    }
  }

  private OnnxTensor kvView(FloatBuffer buffer, int positions) throws OrtException {
    long[] shape = {rows, layout.kvHeads(), positions, layout.headDim()};
    return OnnxTensor.createTensor(env, buffer.slice(0, (int) floats(0, rows, positions)), shape);
  }

  private OnnxTensor convView(FloatBuffer buffer) throws OrtException {
    long[] shape = {rows, layout.convChannels(), layout.convWidth()};
    return OnnxTensor.createTensor(env, buffer.slice(0, rows * state), shape);
  }

  /** Row {@code b} now holds {@code id}, its {@code length} positions aligned right in {@code w}. */
  private void take(int b, String id, int length, int w) {
    ids[b] = id;
    lengths[b] = length;
    if (masks[b].length < w + 1) {
      masks[b] = new long[Math.max(w + 1, masks[b].length * 2)];
    }
    Arrays.fill(masks[b], 0L);
    Arrays.fill(masks[b], w - length, w, 1L);
    rowOf.put(id, b);
  }

  /** Writes a joiner's cache into row {@code b} of {@code into} (width {@code w}), padding zeroed. */
  private void write(FloatBuffer[] into, int b, int w, Joiner joiner) {
    int plane = layout.headDim();
    int length = joiner.length();
    for (int t = 0; t < kvTensors; t++) {
      for (int h = 0; h < layout.kvHeads(); h++) {
        int base = (b * layout.kvHeads() + h) * w * plane;
        zero(into[t], base, (w - length) * plane);
        into[t].put(base + (w - length) * plane, joiner.data()[t], h * length * plane, length * plane);
      }
    }
    for (int t = kvTensors; t < into.length; t++) {
      into[t].put(b * state, joiner.data()[t], 0, state);
    }
  }

  /**
   * Copies the real positions (mask 1) of row {@code from} of one KV tensor, in order, to row
   * {@code to} of {@code dst}, aligned right in {@code dstWidth}, padding zeroed.
   */
  private void copyReal(FloatBuffer src, int from, int srcWidth, long[] mask, FloatBuffer dst, int to,
      int dstWidth, int length) {
    int plane = layout.headDim();
    for (int h = 0; h < layout.kvHeads(); h++) {
      int source = (from * layout.kvHeads() + h) * srcWidth;
      int target = (to * layout.kvHeads() + h) * dstWidth;
      zero(dst, target * plane, (dstWidth - length) * plane);
      target += dstWidth - length;
      int p = 0;
      while (p < srcWidth) {
        if (mask[p] == 0L) {
          p++;
          continue;
        }
        int end = p;
        while (end < srcWidth && mask[end] != 0L) {
          end++;
        }
        dst.put(target * plane, src, (source + p) * plane, (end - p) * plane);
        target += end - p;
        p = end;
      }
    }
  }

  private static void zero(FloatBuffer buffer, int index, int count) {
    for (int done = 0; done < count; done += ZEROS.length) {
      buffer.put(index + done, ZEROS, 0, Math.min(ZEROS.length, count - done));
    }
  }

  /** Floats of tensor {@code t} for {@code rowCount} rows of {@code positions} positions. */
  private long floats(int t, int rowCount, int positions) {
    return t < kvTensors
        ? (long) rowCount * layout.kvHeads() * positions * layout.headDim()
        : (long) rowCount * state;
  }

  private void ensureRows(int count) {
    if (ids.length < count) {
      int capacity = Math.max(count, ids.length * 2);
      ids = Arrays.copyOf(ids, capacity);
      lengths = Arrays.copyOf(lengths, capacity);
      int old = masks.length;
      masks = Arrays.copyOf(masks, capacity);
      for (int b = old; b < capacity; b++) {
        masks[b] = new long[0];
      }
    }
  }

  private void swap() {
    FloatBuffer[] t = current;
    current = spare;
    spare = t;
  }

  /** A buffer for {@code floats} floats whose contents do not matter: this one if it fits well. */
  private static FloatBuffer sized(FloatBuffer buffer, long floats) {
    if (buffer == null || buffer.capacity() < floats) {
      return allocate(floats, buffer == null ? floats : 2L * buffer.capacity());
    }
    return buffer.capacity() > SHRINK_FACTOR * floats ? allocate(floats, 2 * floats) : buffer;
  }

  /** A buffer for {@code floats} floats that keeps the first {@code keep} of this one. */
  private static FloatBuffer grown(FloatBuffer buffer, long floats, long keep) {
    if (buffer != null && buffer.capacity() >= floats) {
      return buffer;
    }
    FloatBuffer bigger = allocate(floats, buffer == null ? floats : 2L * buffer.capacity());
    if (keep > 0) {
      bigger.put(0, buffer, 0, (int) keep);
    }
    return bigger;
  }

  /** A direct buffer of at least {@code floats} floats, {@code wanted} if a buffer can be that big. */
  private static FloatBuffer allocate(long floats, long wanted) {
    if (floats > MAX_FLOATS) {
      throw new EngineException("a batch KV cache tensor of " + floats * Float.BYTES
          + " bytes exceeds 2 GiB; lower the number of sequences or positions", null);
    }
    long capacity = Math.max(1, Math.min(MAX_FLOATS, Math.max(floats, wanted)));
    return ByteBuffer.allocateDirect((int) (capacity * Float.BYTES)).order(ByteOrder.nativeOrder()).asFloatBuffer();
  }

  /** Drops the buffers (direct memory goes with them) and every row. */
  @Override
  public void close() {
    Arrays.fill(current, null);
    Arrays.fill(spare, null);
    rowOf.clear();
    rows = 0;
    width = 0;
  }
}
