package dev.vlm.server.engine;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Batching for decoders that concatenate their cache (the optimum layout), including hybrid
 * decoders whose conv layers carry a fixed-size state per row (LFM2): the state travels with its
 * row through every gather, and since padding sits on the left and is masked (the graph zeroes
 * masked inputs, equal to the zero initial state), a row's state in a batch is its state alone. Prefill chunks run
 * one sequence per call, each into a cache of its own. Decodes run as one padded batch: rows are
 * aligned on the right, shorter ones padded on the left with attention mask 0, and each row's
 * position ids count only its real tokens, or are the row's own (M-RoPE rows and rope deltas;
 * a decode feeds only its new token's position, so padding never needs one). While the set of
 * decoding sequences stays the same, each step's outputs are the next step's cache as they are;
 * when it changes, the rows are gathered afresh (one copy of their caches). Not thread-safe.
 */
final class ConcatBatchDecoder implements BatchDecoder {
  private final OrtEnvironment env;
  private final OrtSession decoder;
  private final OnnxVlm.DecoderLayout layout;
  private final int maxPositions;
  private final Map<String, KvSequence> solos = new HashMap<>();
  private DecodeBatch batch;

  ConcatBatchDecoder(OrtEnvironment env, OrtSession decoder, OnnxVlm.DecoderLayout layout, int maxPositions) {
    this.env = env;
    this.decoder = decoder;
    this.layout = layout;
    this.maxPositions = maxPositions;
  }

  @Override
  public int maxPositions() {
    return maxPositions;
  }

  @Override
  public float[][] step(List<Row> rows) {
    // Position ids are checked before anything runs, so a bad row leaves every sequence as it was.
    for (Row row : rows) {
      DecoderRun.layoutPositions(layout, List.<long[][]>of(row.resolvedPositionIds()), row.length());
    }
    float[][] logits = new float[rows.size()][];
    List<Integer> decodes = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      Row row = rows.get(i);
      if (row.startPosition() == 0) {
        release(row.sequenceId());
      } else if (length(row.sequenceId()) != row.startPosition()) {
        throw new IllegalArgumentException("sequence " + row.sequenceId() + " holds " + length(row.sequenceId())
            + " positions, but the step starts it at " + row.startPosition());
      }
      if (row.startPosition() + row.length() > maxPositions) {
        throw new IllegalArgumentException("sequence " + row.sequenceId() + " would exceed " + maxPositions + " positions");
      }
      if (row.length() == 1 && row.startPosition() > 0) {
        decodes.add(i);
      } else {
        KvSequence solo = takeSolo(row.sequenceId());
        logits[i] = solo.forward(row.embeds(), row.length(), row.positionIds());
        solos.put(row.sequenceId(), solo);
      }
    }
    if (!decodes.isEmpty()) {
      List<String> ids = new ArrayList<>();
      List<Row> decodeRows = new ArrayList<>();
      for (int i : decodes) {
        ids.add(rows.get(i).sequenceId());
        decodeRows.add(rows.get(i));
      }
      if (batch == null || !batch.ids.equals(ids)) {
        regather(ids);
      }
      float[][] out = batch.step(decodeRows);
      for (int k = 0; k < decodes.size(); k++) {
        logits[decodes.get(k)] = out[k];
      }
    }
    return logits;
  }

  private int length(String id) {
    KvSequence solo = solos.get(id);
    if (solo != null) {
      return solo.length();
    }
    return batch == null ? 0 : batch.lengthOf(id);
  }

  /** The sequence's cache as a sequence of its own, taking it out of the batch if needed. */
  private KvSequence takeSolo(String id) {
    KvSequence solo = solos.remove(id);
    if (solo != null) {
      return solo;
    }
    if (batch != null && batch.lengthOf(id) > 0) {
      regather(batch.ids.stream().filter(other -> !other.equals(id)).toList());
      return solos.remove(id);
    }
    return new KvSequence(env, decoder, layout);
  }

  /** Builds a new batch of {@code ids} from the old batch and the solo caches. */
  private void regather(List<String> ids) {
    Map<String, float[][]> rowsKv = new LinkedHashMap<>();
    Map<String, Integer> lengths = new HashMap<>();
    if (batch != null) {
      float[][] data = batch.cache.read();
      for (int b = 0; b < batch.ids.size(); b++) {
        String id = batch.ids.get(b);
        rowsKv.put(id, batch.extractRow(data, b));
        lengths.put(id, batch.lengths[b]);
      }
      batch.close();
      batch = null;
    }
    for (String id : ids) {
      KvSequence solo = solos.remove(id);
      if (solo != null) {
        rowsKv.put(id, solo.cache().read());
        lengths.put(id, solo.length());
        solo.close();
      }
    }
    // Rows of the old batch not decoding now keep their cache, as sequences of their own.
    for (Map.Entry<String, float[][]> entry : rowsKv.entrySet()) {
      if (!ids.contains(entry.getKey())) {
        int length = lengths.get(entry.getKey());
        PastKv past = PastKv.fromArrays(env, layout, entry.getValue(), 1, length);
        solos.put(entry.getKey(), new KvSequence(env, decoder, layout, past, length));
      }
    }
    if (ids.isEmpty()) {
      return;
    }
    int rows = ids.size();
    int positions = 0;
    int[] rowLengths = new int[rows];
    for (int b = 0; b < rows; b++) {
      rowLengths[b] = lengths.get(ids.get(b));
      positions = Math.max(positions, rowLengths[b]);
    }
    int plane = layout.headDim();
    int kvTensors = layout.layers() * 2;
    int state = layout.convStateSize();
    float[][] data = new float[layout.cacheTensors()][];
    for (int t = 0; t < data.length; t++) {
      data[t] = new float[t < kvTensors ? rows * layout.kvHeads() * positions * plane : rows * state];
    }
    long[][] masks = new long[rows][positions];
    for (int b = 0; b < rows; b++) {
      int length = rowLengths[b];
      int pad = positions - length;
      Arrays.fill(masks[b], pad, positions, 1L);
      float[][] rowKv = rowsKv.get(ids.get(b));
      for (int t = 0; t < kvTensors; t++) {
        for (int h = 0; h < layout.kvHeads(); h++) {
          System.arraycopy(rowKv[t], h * length * plane, data[t],
              ((b * layout.kvHeads() + h) * positions + pad) * plane, length * plane);
        }
      }
      // A conv state has no time axis: it is the row's own, exact whatever the padding.
      for (int t = kvTensors; t < data.length; t++) {
        System.arraycopy(rowKv[t], 0, data[t], b * state, state);
      }
    }
    PastKv cache = PastKv.fromArrays(env, layout, data, rows, positions);
    batch = new DecodeBatch(List.copyOf(ids), cache, masks, rowLengths);
  }

  @Override
  public void release(String sequenceId) {
    KvSequence solo = solos.remove(sequenceId);
    if (solo != null) {
      solo.close();
    }
    if (batch != null && batch.lengthOf(sequenceId) > 0) {
      regather(batch.ids.stream().filter(id -> !id.equals(sequenceId)).toList());
      KvSequence dropped = solos.remove(sequenceId);
      if (dropped != null) {
        dropped.close();
      }
    }
  }

  @Override
  public void close() {
    solos.values().forEach(KvSequence::close);
    solos.clear();
    if (batch != null) {
      batch.close();
      batch = null;
    }
  }

  /** The decoding rows: their caches side by side, padded on the left. */
  private final class DecodeBatch implements AutoCloseable {
    final List<String> ids;
    PastKv cache;
    long[][] masks;
    final int[] lengths;

    DecodeBatch(List<String> ids, PastKv cache, long[][] masks, int[] lengths) {
      this.ids = ids;
      this.cache = cache;
      this.masks = masks;
      this.lengths = lengths;
    }

    int lengthOf(String id) {
      int b = ids.indexOf(id);
      return b < 0 ? 0 : lengths[b];
    }

    /** One decode step; the rows' position ids come from each row (its real length unless given). */
    float[][] step(List<Row> decodeRows) {
      int rows = ids.size();
      int positions = cache.positions() + 1;
      float[] input = new float[rows * layout.hiddenSize()];
      long[] mask = new long[rows * positions];
      List<long[][]> rowPositions = new ArrayList<>();
      long[][] next = new long[rows][];
      for (int b = 0; b < rows; b++) {
        Row row = decodeRows.get(b);
        System.arraycopy(row.embeds(), 0, input, b * layout.hiddenSize(), layout.hiddenSize());
        next[b] = Arrays.copyOf(masks[b], positions);
        next[b][positions - 1] = 1L;
        System.arraycopy(next[b], 0, mask, b * positions, positions);
        rowPositions.add(row.resolvedPositionIds());
      }
      long[] positionIds = DecoderRun.layoutPositions(layout, rowPositions, 1);
      OrtSession.Result result = DecoderRun.run(env, decoder, layout, input, rows, 1, mask, positionIds, cache);
      float[][] logits;
      try {
        logits = DecoderRun.lastLogitsPerRow(result, rows);
      } catch (RuntimeException e) {
        result.close();
        throw e;
      }
      cache.close();
      cache = PastKv.fromPresents(result, layout);
      masks = next;
      for (int b = 0; b < rows; b++) {
        lengths[b]++;
      }
      return logits;
    }

    /**
     * Row {@code b}'s cache: its real positions, contiguous, per attention layer key then value
     * {@code [kvHeads, length, headDim]}; then its conv states.
     */
    float[][] extractRow(float[][] data, int b) {
      int positions = cache.positions();
      int plane = layout.headDim();
      int kvTensors = layout.layers() * 2;
      int state = layout.convStateSize();
      float[][] out = new float[data.length][];
      for (int t = kvTensors; t < data.length; t++) {
        out[t] = Arrays.copyOfRange(data[t], b * state, (b + 1) * state);
      }
      for (int t = 0; t < kvTensors; t++) {
        out[t] = new float[layout.kvHeads() * lengths[b] * plane];
        int w = 0;
        for (int h = 0; h < layout.kvHeads(); h++) {
          int base = (b * layout.kvHeads() + h) * positions;
          for (int p = 0; p < positions; p++) {
            if (masks[b][p] == 1L) {
              System.arraycopy(data[t], (base + p) * plane, out[t], w, plane);
              w += plane;
            }
          }
        }
      }
      return out;
    }

    @Override
    public void close() {
      cache.close();
    }
  }
}
