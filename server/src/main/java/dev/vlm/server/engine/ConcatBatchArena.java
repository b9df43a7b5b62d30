package dev.vlm.server.engine;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The decode batch of a {@link ConcatBatchDecoder}: which sequence holds which row, each row's
 * mask, and the decode step. The cache lives in {@link ConcatCacheBuffers}, two buffers per
 * tensor: a step feeds the current one as the past, {@code [rows, kvHeads, width, headDim]},
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
 * is re-laid out: one copy, buffer to buffer, of the members' real positions.
 *
 * <p>Every element in the buffers is zero or was written by the graph or copied from a cache, so
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

  /** A sequence prefilled alone: its cache as {@link PastKv#copy} gives it, one row. */
  record Joiner(String id, ByteBuffer[] data, int length) {}

  private final OrtEnvironment env;
  private final OrtSession decoder;
  private final OnnxVlm.DecoderLayout layout;
  private final int maxPositions;
  private final ConcatCacheBuffers buffers;
  private int rows;
  private int width;
  private String[] ids = new String[0];
  private int[] lengths = new int[0];
  private long[][] masks = new long[0][];
  private final Map<String, Integer> rowOf = new HashMap<>();
  private int relayouts;

  ConcatBatchArena(OrtEnvironment env, OrtSession decoder, OnnxVlm.DecoderLayout layout, int maxRows, int maxPositions) {
    this.env = env;
    this.decoder = decoder;
    this.layout = layout;
    this.maxPositions = maxPositions;
    this.buffers = new ConcatCacheBuffers(env, layout, maxRows, maxPositions);
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
    return buffers.bytesHeld();
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
    PastKv past = PastKv.fromBuffers(env, layout, buffers.read(b, width, masks[b], length), 1, length);
    remove(id);
    return new KvSequence(env, decoder, layout, past, length);
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
    // Grown first, for all joiners at once: a failure leaves every row as it was.
    buffers.growCurrent(rowsAfter, width, rows);
    ensureRows(rowsAfter);
    for (int b = rows; b < rowsAfter; b++) {
      ids[b] = null;
      masks[b] = new long[width + 1];
    }
    rows = rowsAfter;
    int b = 0;
    for (Joiner joiner : joiners) {
      while (ids[b] != null) {
        b++;
      }
      buffers.write(false, b, width, joiner.data(), joiner.length());
      take(b, joiner.id(), joiner.length(), width);
    }
  }

  /** Members first, in row order, then the joiners, each aligned right in {@code newWidth}. */
  private void relayout(List<Joiner> joiners, int count, int newWidth) {
    buffers.fitSpare(count, newWidth);
    String[] newIds = new String[count];
    int[] newLengths = new int[count];
    int r = 0;
    for (int b = 0; b < rows; b++) {
      if (ids[b] != null) {
        buffers.moveToSpare(b, width, masks[b], lengths[b], r, newWidth);
        newIds[r] = ids[b];
        newLengths[r++] = lengths[b];
      }
    }
    for (Joiner joiner : joiners) {
      buffers.write(true, r, newWidth, joiner.data(), joiner.length());
      newIds[r] = joiner.id();
      newLengths[r++] = joiner.length();
    }
    buffers.swap();
    rows = count;
    width = newWidth;
    rowOf.clear();
    ensureRows(count);
    Arrays.fill(ids, null);
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
      if (decodeOf[b] >= 0) {
        BatchDecoder.Row row = decodeRows.get(decodeOf[b]);
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
    buffers.fitSpare(rows, next);
    float[][] all = run(embeds, mask, positionIds);
    for (int b = 0; b < rows; b++) {
      if (ids[b] != null && decodeOf[b] < 0) {
        buffers.keepConvStates(b);
      }
    }
    buffers.swap();
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
  private float[][] run(float[] embeds, long[] mask, long[] positionIds) {
    Map<String, OnnxTensor> past = new HashMap<>();
    Map<String, OnnxTensor> present = new HashMap<>();
    try {
      buffers.views(rows, width, past, present);
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

  /** Drops the buffers (direct memory goes with them) and every row. */
  @Override
  public void close() {
    buffers.clear();
    rowOf.clear();
    rows = 0;
    width = 0;
  }
}
