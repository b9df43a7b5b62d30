package dev.vlm.server.engine;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The in-place fast path for decoders built with {@code com.microsoft.GroupQueryAttention}
 * (the onnxruntime-genai layout, past and present sharing one buffer). Every sequence owns a
 * slot in preallocated direct-memory arenas, one per layer for keys and one for values, each
 * {@code [slots, kvHeads, maxPositions, headDim]}. A slot's slice is passed to ONNX Runtime as
 * the past input and, pinned, as the present output, so the op writes the new positions in
 * place and the cache is never copied. Decodes of neighbouring slots run as one call; the op
 * takes each row's length from its attention mask, so rows of different lengths need no
 * padding. To keep that one call per step, decoding sequences are moved down into slots freed
 * below them (a copy of the positions they hold), and a held slot between decoding ones rides
 * along as a filler row. Prefill chunks run one sequence per call. The arenas hold the graph's
 * cache element type (float32 or float16) and are freed by {@link #close}. Not thread-safe.
 */
final class GqaArenaDecoder implements BatchDecoder {
  private final OrtEnvironment env;
  private final OrtSession decoder;
  private final OnnxVlm.DecoderLayout layout;
  private final int maxPositions;
  private final int slots;
  private final KvBuffer[] arenas;
  private final Map<String, Integer> slotOf = new HashMap<>();
  private final int[] lengths;
  private final TreeSet<Integer> free = new TreeSet<>();
  private int lastStepDecodeCalls;

  GqaArenaDecoder(OrtEnvironment env, OrtSession decoder, OnnxVlm.DecoderLayout layout, int maxPositions, int slots) {
    this.env = env;
    this.decoder = decoder;
    this.layout = layout;
    this.maxPositions = maxPositions;
    this.slots = slots;
    this.lengths = new int[slots];
    long elements = (long) slots * slotElements();
    if (elements * layout.cacheType().bytes() > Integer.MAX_VALUE) {
      throw new EngineException("KV arena of " + slots + " sequences x " + maxPositions
          + " positions exceeds 2 GiB per layer; lower the number of sequences", null);
    }
    arenas = new KvBuffer[layout.layers() * 2];
    try {
      for (int i = 0; i < arenas.length; i++) {
        arenas[i] = KvBuffer.allocate(layout.cacheType(), elements);
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    for (int s = 0; s < slots; s++) {
      free.add(s);
    }
  }

  private long slotElements() {
    return (long) layout.kvHeads() * maxPositions * layout.headDim();
  }

  @Override
  public int maxPositions() {
    return maxPositions;
  }

  /** ONNX Runtime calls the last step's decodes took (its prefills not counted). */
  int lastStepDecodeCalls() {
    return lastStepDecodeCalls;
  }

  /** The slot a sequence holds, or -1. */
  int slotHeldBy(String sequenceId) {
    return slotOf.getOrDefault(sequenceId, -1);
  }

  /** Bytes held by the arenas. */
  long arenaBytes() {
    long bytes = 0;
    for (KvBuffer arena : arenas) {
      bytes += arena == null ? 0 : arena.bytes();
    }
    return bytes;
  }

  @Override
  public float[][] step(List<Row> rows) {
    for (Row row : rows) {
      if (!row.hasSequentialPositions()) {
        // The op derives positions from the mask; it cannot take others.
        throw new IllegalArgumentException("sequence " + row.sequenceId()
            + " gives its own position ids, which an in-place GroupQueryAttention decoder cannot take");
      }
    }
    lastStepDecodeCalls = 0;
    float[][] logits = new float[rows.size()][];
    Map<String, Integer> decodeRowById = new HashMap<>();
    for (int i = 0; i < rows.size(); i++) {
      Row row = rows.get(i);
      int slot = slotFor(row);
      if (row.startPosition() + row.length() > maxPositions) {
        throw new IllegalArgumentException("sequence " + row.sequenceId() + " would exceed " + maxPositions + " positions");
      }
      if (row.length() == 1 && row.startPosition() > 0) {
        decodeRowById.put(row.sequenceId(), i);
      } else {
        logits[i] = run(slot, List.of(row))[0];
      }
    }
    if (!decodeRowById.isEmpty()) {
      packDecodes(decodeRowById.keySet());
      decodeInRuns(rows, decodeRowById, logits);
    }
    return logits;
  }

  /**
   * Moves decoding sequences from the top into free slots below them, so that they sit in as few
   * runs of neighbouring slots as possible: each run is one call, and each call reads all the
   * weights. A move copies only the positions the sequence holds, far less than a call costs.
   */
  private void packDecodes(Set<String> decoding) {
    TreeSet<Integer> decodeSlots = new TreeSet<>();
    for (String id : decoding) {
      decodeSlots.add(slotOf.get(id));
    }
    while (!free.isEmpty() && free.first() < decodeSlots.last()) {
      int from = decodeSlots.pollLast();
      int to = free.pollFirst();
      moveSlot(from, to);
      decodeSlots.add(to);
    }
  }

  private void moveSlot(int from, int to) {
    int length = lengths[from];
    long plane = (long) maxPositions * layout.headDim();
    for (KvBuffer arena : arenas) {
      for (int h = 0; h < layout.kvHeads(); h++) {
        arena.copy(to * slotElements() + h * plane, arena, from * slotElements() + h * plane,
            (long) length * layout.headDim());
      }
    }
    for (Map.Entry<String, Integer> entry : slotOf.entrySet()) {
      if (entry.getValue() == from) {
        entry.setValue(to);
        break;
      }
    }
    lengths[to] = length;
    lengths[from] = 0;
    free.add(from);
  }

  /**
   * Decodes every decoding sequence in calls over runs of neighbouring slots. A held slot between
   * two decoding ones (a sequence prefilling, or not scheduled this step) rides along as a filler
   * row rather than splitting the call: its token is written at its first unused position, which
   * its next real step overwrites, and its logits are dropped.
   */
  private void decodeInRuns(List<Row> rows, Map<String, Integer> decodeRowById, float[][] logits) {
    Integer[] rowBySlot = new Integer[slots];
    int first = slots;
    int last = -1;
    for (Map.Entry<String, Integer> entry : decodeRowById.entrySet()) {
      int slot = slotOf.get(entry.getKey());
      rowBySlot[slot] = entry.getValue();
      first = Math.min(first, slot);
      last = Math.max(last, slot);
    }
    int start = first;
    while (start <= last) {
      int end = start;
      // A filler needs room for one more position; a free slot ends the run (packing leaves none below the top).
      while (end + 1 <= last && (rowBySlot[end + 1] != null
          || (!free.contains(end + 1) && lengths[end + 1] < maxPositions))) {
        end++;
      }
      List<Row> run = new ArrayList<>();
      for (int slot = start; slot <= end; slot++) {
        run.add(rowBySlot[slot] != null ? rows.get(rowBySlot[slot]) : null);
      }
      float[][] out = run(start, run);
      lastStepDecodeCalls++;
      for (int slot = start; slot <= end; slot++) {
        if (rowBySlot[slot] != null) {
          logits[rowBySlot[slot]] = out[slot - start];
        }
      }
      start = end + 1;
      while (start <= last && rowBySlot[start] == null) {
        start++;
      }
    }
  }

  private int slotFor(Row row) {
    Integer slot = slotOf.get(row.sequenceId());
    if (row.startPosition() == 0) {
      if (slot == null) {
        if (free.isEmpty()) {
          throw new IllegalStateException("all " + slots + " KV slots are taken");
        }
        slot = free.pollFirst();
        slotOf.put(row.sequenceId(), slot);
      }
      lengths[slot] = 0;
      return slot;
    }
    if (slot == null || lengths[slot] != row.startPosition()) {
      throw new IllegalArgumentException("sequence " + row.sequenceId() + " holds "
          + (slot == null ? 0 : lengths[slot]) + " positions, but the step starts it at " + row.startPosition());
    }
    return slot;
  }

  /**
   * Runs rows that sit in consecutive slots from {@code firstSlot}: all decodes, null for a
   * filler, or one prefill.
   */
  private float[][] run(int firstSlot, List<Row> rows) {
    int count = rows.size();
    int tokens = rows.getFirst().length();
    int width = 0;
    for (int b = 0; b < count; b++) {
      width = Math.max(width, lengths[firstSlot + b] + tokens);
    }
    float[] embeds = new float[count * tokens * layout.hiddenSize()];
    long[] mask = new long[count * width];
    for (int b = 0; b < count; b++) {
      if (rows.get(b) != null) {
        System.arraycopy(rows.get(b).embeds(), 0, embeds, b * tokens * layout.hiddenSize(), tokens * layout.hiddenSize());
      }
      // Only the number of ones matters to the op: it is the row's length after this step.
      int ones = lengths[firstSlot + b] + tokens;
      for (int p = 0; p < ones; p++) {
        mask[b * width + p] = 1L;
      }
    }
    Map<String, OnnxTensor> inputs = new HashMap<>();
    List<OnnxTensor> views = new ArrayList<>();
    try {
      inputs.put("inputs_embeds", layout.embedsType().tensor(env, embeds, new long[] {count, tokens, layout.hiddenSize()}));
      inputs.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(mask), new long[] {count, width}));
      Map<String, OnnxTensor> feeds = new HashMap<>(inputs);
      Map<String, OnnxTensor> pinned = new HashMap<>();
      long[] shape = {count, layout.kvHeads(), maxPositions, layout.headDim()};
      for (int t = 0; t < arenas.length; t++) {
        OnnxTensor view = arenas[t].tensor(env, firstSlot * slotElements(), shape);
        views.add(view);
        feeds.put(layout.cacheInput(t), view);
        pinned.put(layout.cacheOutput(t), view);
      }
      try (OrtSession.Result result = decoder.run(feeds, Set.of("logits"), pinned)) {
        float[][] logits = DecoderRun.lastLogitsPerRow(result, count);
        for (int b = 0; b < count; b++) {
          if (rows.get(b) != null) {
            lengths[firstSlot + b] += tokens;
          }
        }
        return logits;
      }
    } catch (OrtException e) {
      throw new EngineException("decoder step failed: " + e.getMessage(), e);
    } finally {
      inputs.values().forEach(OnnxTensor::close);
      views.forEach(OnnxTensor::close);
    }
  }

  @Override
  public void release(String sequenceId) {
    Integer slot = slotOf.remove(sequenceId);
    if (slot != null) {
      lengths[slot] = 0;
      free.add(slot);
    }
  }

  /** Frees the arenas now. */
  @Override
  public void close() {
    slotOf.clear();
    for (int i = 0; i < arenas.length; i++) {
      KvBuffer.closeQuietly(arenas[i]);
      arenas[i] = null;
    }
  }
}
