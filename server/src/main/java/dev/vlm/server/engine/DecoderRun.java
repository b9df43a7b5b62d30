package dev.vlm.server.engine;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.Map;

/** One call of a concatenating decoder: builds the inputs, runs, reads the logits. */
final class DecoderRun {
  private DecoderRun() {}

  /**
   * @param embeds {@code rows * tokens * hidden} floats
   * @param mask {@code rows * (past + tokens)} values, 1 for a real position, 0 for padding
   * @param positions {@code rows * tokens} position ids
   * @param past the rows' caches, {@code past} positions each
   * @return the run's outputs; the caller closes them
   */
  static OrtSession.Result run(
      OrtEnvironment env, OrtSession decoder, OnnxVlm.DecoderLayout layout, float[] embeds,
      int rows, int tokens, long[] mask, long[] positions, PastKv past) {
    Map<String, OnnxTensor> created = new HashMap<>();
    try {
      created.put("inputs_embeds",
          OnnxTensor.createTensor(env, FloatBuffer.wrap(embeds), new long[] {rows, tokens, layout.hiddenSize()}));
      created.put("attention_mask",
          OnnxTensor.createTensor(env, LongBuffer.wrap(mask), new long[] {rows, mask.length / rows}));
      if (layout.hasPositionIds()) {
        created.put("position_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(positions), new long[] {rows, tokens}));
      }
      if (layout.hasUseCacheBranch()) {
        created.put("use_cache_branch", OnnxTensor.createTensor(env, new boolean[] {past.positions() > 0}));
      }
      if (layout.hasNumLogitsToKeep()) {
        created.put("num_logits_to_keep", OnnxTensor.createTensor(env, 1L));
      }
      Map<String, OnnxTensor> feeds = new HashMap<>(created);
      for (int layer = 0; layer < layout.layers(); layer++) {
        feeds.put("past_key_values." + layer + ".key", past.key(layer));
        feeds.put("past_key_values." + layer + ".value", past.value(layer));
      }
      return decoder.run(feeds);
    } catch (OrtException e) {
      throw new EngineException("decoder step failed: " + e.getMessage(), e);
    } finally {
      created.values().forEach(OnnxTensor::close);
    }
  }

  /** The logits after the last position of a one-row run. */
  static float[] lastLogits(OrtSession.Result result, int row, int tokens) {
    return lastLogitsPerRow(result, row + 1)[row];
  }

  /** For each row, the logits after its last position (rows end together: padding is on the left). */
  static float[][] lastLogitsPerRow(OrtSession.Result result, int rows) {
    OnnxTensor logits = (OnnxTensor) result.get("logits").orElseThrow();
    long[] shape = logits.getInfo().getShape();
    int vocab = (int) shape[2];
    int kept = (int) shape[1];
    FloatBuffer data = logits.getFloatBuffer();
    float[][] out = new float[rows][vocab];
    for (int row = 0; row < rows; row++) {
      data.position((row * kept + kept - 1) * vocab);
      data.get(out[row]);
    }
    return out;
  }
}
