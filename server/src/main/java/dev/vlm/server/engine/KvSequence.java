package dev.vlm.server.engine;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.util.Arrays;
import java.util.List;

/**
 * One sequence's cache on a concatenating decoder (KV tensors, plus conv states for a hybrid
 * decoder). The {@code present.*} outputs of a step
 * stay in ONNX Runtime's memory and are fed back as the next step's {@code past_key_values.*}
 * inputs, so the cache never crosses into Java arrays. Not thread-safe: one owner at a time.
 */
public final class KvSequence implements AutoCloseable {
  private final OrtEnvironment env;
  private final OrtSession decoder;
  private final OnnxVlm.DecoderLayout layout;
  private PastKv cache;
  private int length;

  KvSequence(OrtEnvironment env, OrtSession decoder, OnnxVlm.DecoderLayout layout) {
    this.env = env;
    this.decoder = decoder;
    this.layout = layout;
  }

  /** A sequence whose cache starts as {@code cache}, holding {@code length} positions. */
  KvSequence(OrtEnvironment env, OrtSession decoder, OnnxVlm.DecoderLayout layout, PastKv cache, int length) {
    this(env, decoder, layout);
    this.cache = cache;
    this.length = length;
  }

  /** Tokens in the cache. */
  public int length() {
    return length;
  }

  /** The cache's tensors, null while empty; owned by this sequence. */
  PastKv cache() {
    return cache;
  }

  /**
   * Appends {@code tokens} positions, given as embeddings, and returns the logits of the last.
   *
   * @param embeds {@code tokens * hiddenSize} floats
   * @param tokens how many positions the embeddings hold
   * @return the next-token logits after the last position
   */
  public float[] forward(float[] embeds, int tokens) {
    return forward(embeds, tokens, null);
  }

  /**
   * Appends {@code tokens} positions with explicit position ids, e.g. Qwen2-VL's three M-RoPE
   * rows for a prompt with images, and returns the logits of the last.
   *
   * @param embeds {@code tokens * hiddenSize} floats
   * @param tokens how many positions the embeddings hold
   * @param positionIds null for the cache indices, else 1 row (shared by all of the decoder's
   *     position rows) or 3 rows of {@code tokens} ids
   * @return the next-token logits after the last position
   * @throws IllegalArgumentException if the position ids do not fit {@code tokens} or the decoder
   */
  public float[] forward(float[] embeds, int tokens, long[][] positionIds) {
    DecoderRun.checkPositionIds("KV sequence", positionIds, tokens);
    long[][] ids = positionIds != null ? positionIds : DecoderRun.sequential(length, tokens);
    long[] positions = DecoderRun.layoutPositions(layout, List.<long[][]>of(ids), tokens);
    long[] mask = new long[length + tokens];
    Arrays.fill(mask, 1L);
    PastKv past = cache != null ? cache : PastKv.empty(env, layout, 1);
    try {
      OrtSession.Result result =
          DecoderRun.run(env, decoder, layout, embeds, 1, tokens, mask, positions, past);
      float[] logits = DecoderRun.lastLogits(result, 0, tokens);
      past.close();
      cache = PastKv.fromPresents(result, layout);
      length += tokens;
      return logits;
    } catch (RuntimeException e) {
      if (past != cache) {
        past.close();
      }
      throw e;
    }
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
