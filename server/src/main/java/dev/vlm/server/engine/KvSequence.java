package dev.vlm.server.engine;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * One sequence's KV cache on a concatenating decoder. The {@code present.*} outputs of a step
 * stay in ONNX Runtime's memory and are fed back as the next step's {@code past_key_values.*}
 * inputs, so the cache never crosses into Java arrays. Not thread-safe: one owner at a time.
 */
public final class KvSequence implements AutoCloseable {
  private final OrtEnvironment env;
  private final OrtSession decoder;
  private final OnnxVlm.DecoderLayout layout;
  // Zero-length pasts of the first step; created per step, closed with its inputs.
  private final Map<String, OnnxTensor> emptyPasts = new HashMap<>();
  private OrtSession.Result cache;
  private int length;

  KvSequence(OrtEnvironment env, OrtSession decoder, OnnxVlm.DecoderLayout layout) {
    this.env = env;
    this.decoder = decoder;
    this.layout = layout;
  }

  /** Tokens in the cache. */
  public int length() {
    return length;
  }

  /**
   * Appends {@code tokens} positions, given as embeddings, and returns the logits of the last.
   *
   * @param embeds {@code tokens * hiddenSize} floats
   * @param tokens how many positions the embeddings hold
   * @return the next-token logits after the last position
   */
  public float[] forward(float[] embeds, int tokens) {
    Map<String, OnnxTensor> inputs = new HashMap<>();
    try {
      inputs.put("inputs_embeds", floats(embeds, 1, tokens, layout.hiddenSize()));
      inputs.put("attention_mask", longs(ones(length + tokens), 1, length + tokens));
      if (layout.hasPositionIds()) {
        long[] positions = new long[tokens];
        for (int i = 0; i < tokens; i++) {
          positions[i] = length + i;
        }
        inputs.put("position_ids", longs(positions, 1, tokens));
      }
      if (layout.hasUseCacheBranch()) {
        inputs.put("use_cache_branch", OnnxTensor.createTensor(env, new boolean[] {length > 0}));
      }
      if (layout.hasNumLogitsToKeep()) {
        inputs.put("num_logits_to_keep", OnnxTensor.createTensor(env, 1L));
      }
      Map<String, OnnxTensor> feeds = new HashMap<>(inputs);
      for (int i = 0; i < layout.layers(); i++) {
        for (String kind : new String[] {"key", "value"}) {
          feeds.put("past_key_values." + i + "." + kind, past(i, kind));
        }
      }
      OrtSession.Result result = decoder.run(feeds);
      float[] logits = lastRow((OnnxTensor) result.get("logits").orElseThrow());
      if (cache != null) {
        cache.close();
      }
      cache = result;
      length += tokens;
      return logits;
    } catch (OrtException e) {
      throw new EngineException("decoder step failed: " + e.getMessage(), e);
    } finally {
      inputs.values().forEach(OnnxTensor::close);
      emptyPasts.values().forEach(OnnxTensor::close);
      emptyPasts.clear();
    }
  }

  private OnnxTensor past(int layer, String kind) throws OrtException {
    if (cache != null) {
      OnnxValue present = cache.get("present." + layer + "." + kind).orElseThrow();
      return (OnnxTensor) present;
    }
    OnnxTensor empty =
        OnnxTensor.createTensor(
            env, FloatBuffer.allocate(0), new long[] {1, layout.kvHeads(), 0, layout.headDim()});
    emptyPasts.put(layer + kind, empty);
    return empty;
  }

  private static float[] lastRow(OnnxTensor logits) {
    long[] shape = logits.getInfo().getShape();
    int vocab = (int) shape[shape.length - 1];
    FloatBuffer data = logits.getFloatBuffer();
    float[] row = new float[vocab];
    data.position(data.limit() - vocab);
    data.get(row);
    return row;
  }

  private OnnxTensor floats(float[] data, long... shape) throws OrtException {
    return OnnxTensor.createTensor(env, FloatBuffer.wrap(data), shape);
  }

  private OnnxTensor longs(long[] data, long... shape) throws OrtException {
    return OnnxTensor.createTensor(env, LongBuffer.wrap(data), shape);
  }

  private static long[] ones(int n) {
    long[] ones = new long[n];
    java.util.Arrays.fill(ones, 1L);
    return ones;
  }

  /** Frees the cache's native memory. */
  @Override
  public void close() {
    if (cache != null) {
      cache.close();
      cache = null;
    }
  }
}
