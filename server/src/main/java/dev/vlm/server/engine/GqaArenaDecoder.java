package dev.vlm.server.engine;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
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
 * padding. Prefill chunks run one sequence per call. Not thread-safe.
 */
final class GqaArenaDecoder implements BatchDecoder {
  private final OrtEnvironment env;
  private final OrtSession decoder;
  private final OnnxVlm.DecoderLayout layout;
  private final int maxPositions;
  private final int slots;
  private final FloatBuffer[] arenas;
  private final Map<String, Integer> slotOf = new HashMap<>();
  private final int[] lengths;
  private final TreeSet<Integer> free = new TreeSet<>();

  GqaArenaDecoder(OrtEnvironment env, OrtSession decoder, OnnxVlm.DecoderLayout layout, int maxPositions, int slots) {
    this.env = env;
    this.decoder = decoder;
    this.layout = layout;
    this.maxPositions = maxPositions;
    this.slots = slots;
    this.lengths = new int[slots];
    long floats = (long) slots * slotFloats();
    if (floats * Float.BYTES > Integer.MAX_VALUE) {
      throw new EngineException("KV arena of " + slots + " sequences x " + maxPositions
          + " positions exceeds 2 GiB per layer; lower the number of sequences", null);
    }
    arenas = new FloatBuffer[layout.layers() * 2];
    for (int i = 0; i < arenas.length; i++) {
      arenas[i] = ByteBuffer.allocateDirect((int) (floats * Float.BYTES)).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }
    for (int s = 0; s < slots; s++) {
      free.add(s);
    }
  }

  private int slotFloats() {
    return layout.kvHeads() * maxPositions * layout.headDim();
  }

  @Override
  public int maxPositions() {
    return maxPositions;
  }

  /** Bytes held by the arenas. */
  long arenaBytes() {
    return (long) arenas.length * slots * slotFloats() * Float.BYTES;
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
    float[][] logits = new float[rows.size()][];
    Map<Integer, Integer> decodeRowBySlot = new HashMap<>();
    for (int i = 0; i < rows.size(); i++) {
      Row row = rows.get(i);
      int slot = slotFor(row);
      if (row.startPosition() + row.length() > maxPositions) {
        throw new IllegalArgumentException("sequence " + row.sequenceId() + " would exceed " + maxPositions + " positions");
      }
      if (row.length() == 1 && row.startPosition() > 0) {
        decodeRowBySlot.put(slot, i);
      } else {
        logits[i] = run(slot, List.of(row))[0];
      }
    }
    // Runs of neighbouring slots share one call.
    List<Integer> decodeSlots = new ArrayList<>(new TreeSet<>(decodeRowBySlot.keySet()));
    int start = 0;
    while (start < decodeSlots.size()) {
      int end = start + 1;
      while (end < decodeSlots.size() && decodeSlots.get(end) == decodeSlots.get(end - 1) + 1) {
        end++;
      }
      List<Row> run = new ArrayList<>();
      for (int k = start; k < end; k++) {
        run.add(rows.get(decodeRowBySlot.get(decodeSlots.get(k))));
      }
      float[][] out = run(decodeSlots.get(start), run);
      for (int k = start; k < end; k++) {
        logits[decodeRowBySlot.get(decodeSlots.get(k))] = out[k - start];
      }
      start = end;
    }
    return logits;
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

  /** Runs rows that sit in consecutive slots from {@code firstSlot}; all decodes, or one prefill. */
  private float[][] run(int firstSlot, List<Row> rows) {
    int count = rows.size();
    int tokens = rows.get(0).length();
    int width = 0;
    for (int b = 0; b < count; b++) {
      width = Math.max(width, lengths[firstSlot + b] + tokens);
    }
    float[] embeds = new float[count * tokens * layout.hiddenSize()];
    long[] mask = new long[count * width];
    for (int b = 0; b < count; b++) {
      System.arraycopy(rows.get(b).embeds(), 0, embeds, b * tokens * layout.hiddenSize(), tokens * layout.hiddenSize());
      // Only the number of ones matters to the op: it is the row's length after this step.
      int ones = lengths[firstSlot + b] + tokens;
      for (int p = 0; p < ones; p++) {
        mask[b * width + p] = 1L;
      }
    }
    Map<String, OnnxTensor> inputs = new HashMap<>();
    Map<String, OnnxTensor> views = new HashMap<>();
    try {
      inputs.put("inputs_embeds",
          OnnxTensor.createTensor(env, FloatBuffer.wrap(embeds), new long[] {count, tokens, layout.hiddenSize()}));
      inputs.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(mask), new long[] {count, width}));
      Map<String, OnnxTensor> feeds = new HashMap<>(inputs);
      Map<String, OnnxTensor> pinned = new HashMap<>();
      long[] shape = {count, layout.kvHeads(), maxPositions, layout.headDim()};
      for (int layer = 0; layer < layout.layers(); layer++) {
        for (int kind = 0; kind < 2; kind++) {
          String suffix = layer + (kind == 0 ? ".key" : ".value");
          FloatBuffer slice = arenas[layer * 2 + kind].slice(firstSlot * slotFloats(), count * slotFloats());
          OnnxTensor view = OnnxTensor.createTensor(env, slice, shape);
          views.put(suffix, view);
          feeds.put("past_key_values." + suffix, view);
          pinned.put("present." + suffix, view);
        }
      }
      try (OrtSession.Result result = decoder.run(feeds, Set.of("logits"), pinned)) {
        float[][] logits = DecoderRun.lastLogitsPerRow(result, count);
        for (int b = 0; b < count; b++) {
          lengths[firstSlot + b] += tokens;
        }
        return logits;
      }
    } catch (OrtException e) {
      throw new EngineException("decoder step failed: " + e.getMessage(), e);
    } finally {
      inputs.values().forEach(OnnxTensor::close);
      views.values().forEach(OnnxTensor::close);
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

  @Override
  public void close() {
    slotOf.clear();
  }
}
