package dev.vlm.server.engine;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Batching for decoders that concatenate their cache (the optimum layout), including hybrid
 * decoders whose conv layers carry a fixed-size state per row (LFM2). Prefill chunks run one
 * sequence per call, each into a cache of its own. Decodes run as one padded batch held by a
 * {@link ConcatBatchArena}: rows aligned on the right, padding masked 0, each row's position ids
 * its own (its real length, or given: M-RoPE rows and rope deltas; a decode feeds only its new
 * token's position, so padding never needs one). Since padding is masked and the graph zeroes
 * masked inputs, a row's conv state in a batch is its state alone. The batch's cache lives in
 * direct buffers the arena owns; each step writes the presents into the spare buffer, so
 * nothing is copied while rows come and go: a finished sequence leaves a dead row, a sequence
 * that has just been prefilled takes a dead row or a new one (one copy of its own cache), and a
 * member not decoding this step idles without counting a position. A sequence that prefills
 * again while in the batch is copied out to a cache of its own. Only a joiner wider than the
 * batch or a batch grown too sparse is re-laid out, in one buffer-to-buffer copy. Not
 * thread-safe.
 */
final class ConcatBatchDecoder implements BatchDecoder {
  private final OrtEnvironment env;
  private final OrtSession decoder;
  private final OnnxVlm.DecoderLayout layout;
  private final int maxPositions;
  private final Map<String, KvSequence> solos = new HashMap<>();
  private final ConcatBatchArena batch;

  ConcatBatchDecoder(OrtEnvironment env, OrtSession decoder, OnnxVlm.DecoderLayout layout, int maxRows, int maxPositions) {
    this.env = env;
    this.decoder = decoder;
    this.layout = layout;
    this.maxPositions = maxPositions;
    this.batch = new ConcatBatchArena(env, decoder, layout, maxRows, maxPositions);
  }

  @Override
  public int maxPositions() {
    return maxPositions;
  }

  /** The decode batch, for tests: its rows, width, re-layouts and bytes held. */
  ConcatBatchArena batch() {
    return batch;
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
      List<Row> decodeRows = new ArrayList<>();
      List<ConcatBatchArena.Joiner> joiners = new ArrayList<>();
      for (int i : decodes) {
        Row row = rows.get(i);
        decodeRows.add(row);
        KvSequence solo = solos.get(row.sequenceId());
        if (solo != null) {
          joiners.add(new ConcatBatchArena.Joiner(row.sequenceId(), solo.cache().copy(), solo.length()));
        }
      }
      batch.admit(joiners);
      for (ConcatBatchArena.Joiner joiner : joiners) {
        solos.remove(joiner.id()).close();
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
    return solo != null ? solo.length() : batch.lengthOf(id);
  }

  /** The sequence's cache as a sequence of its own, taking it out of the batch if needed. */
  private KvSequence takeSolo(String id) {
    KvSequence solo = solos.remove(id);
    if (solo != null) {
      return solo;
    }
    if (batch.holds(id)) {
      return batch.takeOut(id);
    }
    return new KvSequence(env, decoder, layout);
  }

  @Override
  public void release(String sequenceId) {
    KvSequence solo = solos.remove(sequenceId);
    if (solo != null) {
      solo.close();
    }
    batch.remove(sequenceId);
  }

  @Override
  public void close() {
    solos.values().forEach(KvSequence::close);
    solos.clear();
    batch.close();
  }
}
