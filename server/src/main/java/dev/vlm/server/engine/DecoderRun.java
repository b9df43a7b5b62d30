package dev.vlm.server.engine;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** One call of a concatenating decoder: builds the inputs, runs, reads the logits. */
final class DecoderRun {
  private DecoderRun() {}

  /**
   * @param embeds {@code rows * tokens * hidden} floats
   * @param mask {@code rows * (past + tokens)} values, 1 for a real position, 0 for padding
   * @param positions position ids as the graph takes them: {@code rows * tokens}, or for an
   *     M-RoPE decoder {@code 3 * rows * tokens} (see {@link #layoutPositions})
   * @param past the rows' caches, {@code past} positions each
   * @return the run's outputs; the caller closes them
   */
  static OrtSession.Result run(
      OrtEnvironment env, OrtSession decoder, OnnxVlm.DecoderLayout layout, float[] embeds,
      int rows, int tokens, long[] mask, long[] positions, PastKv past) {
    Map<String, OnnxTensor> cache = new HashMap<>();
    for (int t = 0; t < layout.cacheTensors(); t++) {
      cache.put(layout.cacheInput(t), past.tensor(t));
    }
    return run(env, decoder, layout, embeds, rows, tokens, mask, positions, past.positions(), cache, Map.of());
  }

  /**
   * The same with the cache inputs given by name, and optionally the cache outputs written into
   * tensors the caller owns.
   *
   * @param pastPositions positions per row in the cache inputs
   * @param cache every {@code past_key_values.*} and {@code past_conv.*} input
   * @param pinned {@code present*} outputs to write into these tensors; empty to let ONNX Runtime
   *     allocate every output
   * @return the run's outputs (only the logits when {@code pinned} is not empty); the caller
   *     closes them
   */
  static OrtSession.Result run(
      OrtEnvironment env, OrtSession decoder, OnnxVlm.DecoderLayout layout, float[] embeds,
      int rows, int tokens, long[] mask, long[] positions, int pastPositions,
      Map<String, OnnxTensor> cache, Map<String, OnnxTensor> pinned) {
    Map<String, OnnxTensor> created = new HashMap<>();
    try {
      created.put("inputs_embeds", layout.embedsType().tensor(env, embeds, new long[] {rows, tokens, layout.hiddenSize()}));
      created.put("attention_mask",
          OnnxTensor.createTensor(env, LongBuffer.wrap(mask), new long[] {rows, mask.length / rows}));
      if (layout.hasPositionIds()) {
        long[] shape = layout.positionRows() == 1
            ? new long[] {rows, tokens}
            : new long[] {layout.positionRows(), rows, tokens};
        created.put("position_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(positions), shape));
      }
      if (layout.hasUseCacheBranch()) {
        created.put("use_cache_branch", OnnxTensor.createTensor(env, new boolean[] {pastPositions > 0}));
      }
      if (layout.hasNumLogitsToKeep()) {
        created.put("num_logits_to_keep", OnnxTensor.createTensor(env, 1L));
      }
      Map<String, OnnxTensor> feeds = new HashMap<>(created);
      feeds.putAll(cache);
      return pinned.isEmpty() ? decoder.run(feeds) : decoder.run(feeds, Set.of("logits"), pinned);
    } catch (OrtException e) {
      throw new EngineException("decoder step failed: " + e.getMessage(), e);
    } finally {
      created.values().forEach(OnnxTensor::close);
    }
  }

  /**
   * Checks explicit position ids: null, or 1 or 3 rows of {@code length} ids.
   *
   * @param owner names the sequence in the message
   * @throws IllegalArgumentException if they have another shape
   */
  static void checkPositionIds(String owner, long[][] positionIds, int length) {
    if (positionIds == null) {
      return;
    }
    if (positionIds.length != 1 && positionIds.length != 3) {
      throw new IllegalArgumentException(
          owner + ": position ids need 1 or 3 rows, got " + positionIds.length);
    }
    for (long[] ids : positionIds) {
      if (ids == null || ids.length != length) {
        throw new IllegalArgumentException(owner + ": every position id row needs "
            + length + " ids, got " + (ids == null ? "none" : ids.length));
      }
    }
  }

  /** Ids {@code start, start + 1, ...}: one row of {@code length} cache indices. */
  static long[][] sequential(int start, int length) {
    long[] ids = new long[length];
    for (int i = 0; i < length; i++) {
      ids[i] = start + i;
    }
    return new long[][] {ids};
  }

  /**
   * Lays out per-row position ids as the decoder takes them: row-major {@code [rows, tokens]}
   * for a 2-D input, {@code [positionRows, rows, tokens]} for an M-RoPE one. A single id row is
   * broadcast to every position row; several rows go to a 2-D input only if they agree.
   *
   * @param perRow for each batch row, 1 or {@code positionRows} rows of {@code tokens} ids
   * @throws IllegalArgumentException if a row's ids do not fit the decoder's position input
   */
  static long[] layoutPositions(OnnxVlm.DecoderLayout layout, List<long[][]> perRow, int tokens) {
    int planes = Math.max(1, layout.positionRows());
    int rows = perRow.size();
    long[] out = new long[planes * rows * tokens];
    for (int b = 0; b < rows; b++) {
      long[][] ids = perRow.get(b);
      if (ids.length != 1 && ids.length != planes) {
        if (planes != 1 || !allEqual(ids)) {
          throw new IllegalArgumentException("the decoder takes " + planes + " position id row(s) per token, got "
              + ids.length + " that differ");
        }
      }
      for (int plane = 0; plane < planes; plane++) {
        long[] source = ids[ids.length == 1 ? 0 : plane];
        System.arraycopy(source, 0, out, (plane * rows + b) * tokens, tokens);
      }
    }
    return out;
  }

  private static boolean allEqual(long[][] ids) {
    for (long[] row : ids) {
      if (!Arrays.equals(row, ids[0])) {
        return false;
      }
    }
    return true;
  }

  /** The logits after the last position of a one-row run. */
  static float[] lastLogits(OrtSession.Result result, int row, int tokens) {
    return lastLogitsPerRow(result, row + 1)[row];
  }

  /**
   * For each row, the logits after its last position (rows end together: padding is on the left),
   * as float32: float16 logits are widened exactly, and only the rows read.
   */
  static float[][] lastLogitsPerRow(OrtSession.Result result, int rows) {
    OnnxTensor logits = (OnnxTensor) result.get("logits").orElseThrow();
    long[] shape = logits.getInfo().getShape();
    int vocab = (int) shape[2];
    int kept = (int) shape[1];
    float[][] out = new float[rows][vocab];
    if (logits.getInfo().type == OnnxJavaType.FLOAT16) {
      ShortBuffer data = ElementType.halves(logits);
      for (int row = 0; row < rows; row++) {
        ElementType.widen(data, (row * kept + kept - 1) * vocab, out[row]);
      }
      return out;
    }
    FloatBuffer data = logits.getFloatBuffer();
    for (int row = 0; row < rows; row++) {
      data.position((row * kept + kept - 1) * vocab);
      data.get(out[row]);
    }
    return out;
  }
}
