package dev.vlm.server.engine;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.fasterxml.jackson.databind.JsonNode;
import dev.vlm.server.model.BooleanTensor;
import dev.vlm.server.model.LongTensor;
import dev.vlm.server.model.ModelDirectory;
import dev.vlm.server.model.ModelLoadException;
import dev.vlm.server.model.PixelBatch;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The three graphs of a vision-language export (optimum / transformers.js layout): the vision
 * encoder, the token embedding and the merged decoder with a concatenated KV cache. Sessions are
 * thread-safe; one {@link KvSequence} per generating request holds that request's cache.
 */
public final class OnnxVlm implements AutoCloseable {
  static final String VISION = "onnx/vision_encoder.onnx";
  static final String EMBED = "onnx/embed_tokens.onnx";
  static final String DECODER = "onnx/decoder_model_merged.onnx";

  private final OrtRuntime runtime;
  private final OrtSession vision;
  private final OrtSession embed;
  private final OrtSession decoder;
  private final DecoderLayout layout;
  private final int sharedBufferPositions;

  private OnnxVlm(
      OrtRuntime runtime, OrtSession vision, OrtSession embed, OrtSession decoder, DecoderLayout layout,
      int sharedBufferPositions) {
    this.runtime = runtime;
    this.vision = vision;
    this.embed = embed;
    this.decoder = decoder;
    this.layout = layout;
    this.sharedBufferPositions = sharedBufferPositions;
  }

  /** Files every export of this layout has; the decoder's {@code .onnx_data} is optional. */
  public static List<String> requiredFiles() {
    return List.of(VISION, EMBED, DECODER);
  }

  /**
   * @throws ModelLoadException if a graph is missing, unloadable, or lacks the expected inputs
   */
  public static OnnxVlm load(ModelDirectory dir, OrtRuntime runtime) {
    List<OrtSession> opened = new ArrayList<>();
    try {
      OrtSession vision = open(runtime, dir, VISION, opened);
      OrtSession embed = open(runtime, dir, EMBED, opened);
      OrtSession decoder = open(runtime, dir, DECODER, opened);
      requireInputs(vision, VISION, Set.of("pixel_values"));
      requireInputs(embed, EMBED, Set.of("input_ids"));
      DecoderLayout layout = DecoderLayout.of(decoder);
      int shared = sharedBufferPositions(dir);
      if (shared > 0 && layout.convLayers().length > 0) {
        // The in-place arena holds KV tensors only; conv states would have nowhere to live.
        throw new ModelLoadException(DECODER + " has conv states (a hybrid decoder), which a shared past/present buffer cannot hold");
      }
      return new OnnxVlm(runtime, vision, embed, decoder, layout, shared);
    } catch (RuntimeException e) {
      for (OrtSession s : opened) {
        closeQuietly(s);
      }
      throw e;
    }
  }

  private static OrtSession open(OrtRuntime rt, ModelDirectory dir, String file, List<OrtSession> opened) {
    OrtSession session = rt.open(dir.require(file));
    opened.add(session);
    return session;
  }

  /**
   * Positions of the shared past/present buffer of an onnxruntime-genai export whose decoder
   * writes its cache in place ({@code search.past_present_share_buffer}), or 0 for a
   * concatenating decoder.
   */
  private static int sharedBufferPositions(ModelDirectory dir) {
    JsonNode genai = dir.optionalJson("genai_config.json");
    if (!genai.path("search").path("past_present_share_buffer").asBoolean(false)) {
      return 0;
    }
    int positions = genai.path("model").path("context_length").asInt(genai.path("search").path("max_length").asInt(0));
    if (positions <= 0) {
      throw new ModelLoadException("genai_config.json shares past and present buffers but gives no context_length");
    }
    return positions;
  }

  /** Whether the decoder writes its cache in place (GroupQueryAttention, shared buffers). */
  public boolean writesCacheInPlace() {
    return sharedBufferPositions > 0;
  }

  /**
   * A batch decoder for up to {@code maxSequences} sequences of up to {@code maxPositions}
   * positions each: the in-place arena for shared-buffer decoders, padded batches otherwise.
   */
  public BatchDecoder newBatchDecoder(int maxSequences, int maxPositions) {
    if (sharedBufferPositions > 0) {
      return new GqaArenaDecoder(runtime.env(), decoder, layout, sharedBufferPositions, maxSequences);
    }
    return new ConcatBatchDecoder(runtime.env(), decoder, layout, maxSequences, maxPositions);
  }

  /**
   * Bytes the KV cache of a batch decoder from {@link #newBatchDecoder} holds at most: keys and
   * values (float32) of every layer and KV head, for every position it can hold. A
   * concatenating decoder holds its decode batch twice (the past it feeds and the present it
   * receives, {@code maxPositions + 1} wide), besides the caches of sequences prefilling alone,
   * which the scheduler's blocks bound.
   *
   * @param maxSequences sequences decoding together
   * @param maxPositions positions per sequence (a shared-buffer decoder uses its export's own)
   */
  public long kvArenaBytes(int maxSequences, int maxPositions) {
    if (sharedBufferPositions > 0) {
      return kvBytesPerPosition() * sharedBufferPositions * (long) maxSequences;
    }
    return 2 * kvBytesPerPosition() * (maxPositions + 1L) * maxSequences;
  }

  /** KV-cache bytes one position of one sequence takes: layers x KV heads x head size x 4 bytes x 2 (K and V). */
  public long kvBytesPerPosition() {
    return (long) layout.layers() * layout.kvHeads() * layout.headDim() * Float.BYTES * 2;
  }

  /**
   * A working allowance for one step's intermediate tensors: a few hidden-size rows per batched
   * token, and a logits row per running sequence. An estimate, not a measurement: ONNX Runtime
   * does not report its arena's high-water mark.
   */
  public long activationBytes(int maxBatchedTokens, int maxSequences) {
    long hiddenRows = 8L * maxBatchedTokens * layout.hiddenSize() * Float.BYTES;
    long logits = (long) maxSequences * layout.vocabSize() * Float.BYTES;
    return hiddenRows + logits;
  }

  private static void requireInputs(OrtSession session, String file, Set<String> names) {
    for (String name : names) {
      if (!session.getInputNames().contains(name)) {
        throw new ModelLoadException(
            file + " has no input '" + name + "' (inputs: " + session.getInputNames() + ")");
      }
    }
  }

  /** The decoder's shape facts. */
  DecoderLayout decoderLayout() {
    return layout;
  }

  /** Width of a logits row. */
  public int vocabSize() {
    return layout.vocabSize();
  }

  /** Width of an embedding row (the decoder's hidden size). */
  public int hiddenSize() {
    return layout.hiddenSize();
  }

  /**
   * Runs the vision encoder on one preprocessed image.
   *
   * @param pixels the image in the layout the encoder expects
   * @param shape its shape, batch dimension included
   * @return image features, one row per image token
   * @throws EngineException if the encoder fails
   */
  public float[][] encodeImage(float[] pixels, long[] shape) {
    return encodeImage(new PixelBatch(pixels, shape));
  }

  /**
   * Runs the vision encoder on one encoder input: {@code pixel_values} and the family's further
   * named inputs. A further input the graph does not declare is left out: families add only
   * inputs that carry nothing beyond the pixels for such graphs (an all-true pixel mask).
   *
   * @param input the pixels and further inputs
   * @return image features, one row per image token
   * @throws EngineException if the encoder fails
   */
  public float[][] encodeImage(PixelBatch input) {
    Map<String, OnnxTensor> feeds = new HashMap<>();
    try {
      feeds.put("pixel_values", OnnxTensor.createTensor(runtime.env(), FloatBuffer.wrap(input.pixels()), input.shape()));
      for (Map.Entry<String, BooleanTensor> extra : input.booleanInputs().entrySet()) {
        if (vision.getInputNames().contains(extra.getKey())) {
          feeds.put(extra.getKey(), booleanTensor(extra.getValue()));
        }
      }
      for (Map.Entry<String, LongTensor> extra : input.longInputs().entrySet()) {
        if (vision.getInputNames().contains(extra.getKey())) {
          feeds.put(extra.getKey(), OnnxTensor.createTensor(
              runtime.env(), LongBuffer.wrap(extra.getValue().values()), extra.getValue().shape()));
        }
      }
      try (OrtSession.Result out = vision.run(feeds)) {
        return rows((OnnxTensor) out.get(0));
      }
    } catch (OrtException e) {
      throw new EngineException("vision encoder failed: " + e.getMessage(), e);
    } finally {
      feeds.values().forEach(OnnxTensor::close);
    }
  }

  private OnnxTensor booleanTensor(BooleanTensor tensor) throws OrtException {
    boolean[] values = tensor.values();
    ByteBuffer bytes = ByteBuffer.allocateDirect(values.length).order(ByteOrder.nativeOrder());
    for (boolean v : values) {
      bytes.put((byte) (v ? 1 : 0));
    }
    bytes.flip();
    return OnnxTensor.createTensor(runtime.env(), bytes, tensor.shape(), OnnxJavaType.BOOL);
  }

  private static float[][] rows(OnnxTensor features) throws OrtException {
    long[] dims = features.getInfo().getShape();
    int width = (int) dims[dims.length - 1];
    FloatBuffer data = features.getFloatBuffer();
    int rows = data.remaining() / width;
    float[][] result = new float[rows][width];
    for (float[] row : result) {
      data.get(row);
    }
    return result;
  }

  /** Looks up the embeddings of token ids; returns {@code ids.length * hiddenSize()} floats. */
  public float[] embed(int[] ids) {
    long[] longIds = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      longIds[i] = ids[i];
    }
    try (OnnxTensor input =
            OnnxTensor.createTensor(runtime.env(), LongBuffer.wrap(longIds), new long[] {1, ids.length});
        OrtSession.Result out = embed.run(Map.of("input_ids", input))) {
      FloatBuffer data = ((OnnxTensor) out.get(0)).getFloatBuffer();
      float[] result = new float[data.remaining()];
      data.get(result);
      return result;
    } catch (OrtException e) {
      throw new EngineException("embedding lookup failed: " + e.getMessage(), e);
    }
  }

  /** Starts an empty KV cache for one sequence. */
  public KvSequence newSequence() {
    return new KvSequence(runtime.env(), decoder, layout);
  }

  @Override
  public void close() {
    closeQuietly(vision);
    closeQuietly(embed);
    closeQuietly(decoder);
  }

  private static void closeQuietly(OrtSession session) {
    try {
      session.close();
    } catch (OrtException e) {
      // Nothing to recover: the session's native memory is released or lost either way.
    }
  }

  /**
   * Shape facts read from the decoder graph itself, so config files cannot disagree with it.
   *
   * @param layers attention layers (those with a {@code past_key_values.{i}.*} input)
   * @param positionRows 0 without a {@code position_ids} input, 1 for {@code [batch, seq]}, and
   *     for a multimodal-RoPE decoder (Qwen2-VL) the leading dimension of
   *     {@code [rows, batch, seq]}: 3 (temporal, height, width)
   * @param attentionLayers graph layer index of each attention layer, ascending
   * @param convLayers graph layer index of each convolution layer of a hybrid decoder (LFM2,
   *     {@code past_conv.{i}} inputs), ascending; empty for a pure transformer
   * @param convChannels channels of a conv state {@code [batch, channels, width]}, 0 without
   * @param convWidth width of a conv state, 0 without
   */
  record DecoderLayout(
      int layers, int kvHeads, int headDim, int hiddenSize, int vocabSize, int positionRows,
      boolean hasUseCacheBranch, boolean hasNumLogitsToKeep, int[] attentionLayers, int[] convLayers,
      int convChannels, int convWidth) {
    private static final Pattern KV_INPUT = Pattern.compile("past_key_values\\.(\\d+)\\.key");
    private static final Pattern CONV_INPUT = Pattern.compile("past_conv\\.(\\d+)");

    boolean hasPositionIds() {
      return positionRows > 0;
    }

    /** Graph layer index of the {@code k}-th attention layer. */
    int attentionLayer(int k) {
      return attentionLayers[k];
    }

    /**
     * The graph input that takes cache tensor {@code t}, in {@link PastKv}'s order (per attention
     * layer key then value, then the conv states).
     */
    String cacheInput(int t) {
      return t < layers * 2 ? "past_key_values." + kvName(t) : "past_conv." + convLayers[t - layers * 2];
    }

    /** The graph output that gives cache tensor {@code t} after a step. */
    String cacheOutput(int t) {
      return t < layers * 2 ? "present." + kvName(t) : "present_conv." + convLayers[t - layers * 2];
    }

    private String kvName(int t) {
      return attentionLayers[t / 2] + (t % 2 == 0 ? ".key" : ".value");
    }

    /** Tensors in one cache: key and value per attention layer, one state per conv layer. */
    int cacheTensors() {
      return layers * 2 + convLayers.length;
    }

    /** Floats in one row's state of one conv layer. */
    int convStateSize() {
      return convChannels * convWidth;
    }

    /** Reads the position input's rank: {@code [3, batch, seq]} is M-RoPE, {@code [batch, seq]} plain. */
    private static int positionRows(Map<String, NodeInfo> inputs) {
      NodeInfo info = inputs.get("position_ids");
      if (info == null) {
        return 0;
      }
      long[] shape = ((TensorInfo) info.getInfo()).getShape();
      if (shape.length == 2) {
        return 1;
      }
      if (shape.length == 3) {
        // A symbolic leading dimension still means the three M-RoPE rows.
        return shape[0] > 0 ? (int) shape[0] : 3;
      }
      throw new ModelLoadException(
          DECODER + " input 'position_ids' must have rank 2 or 3, its shape is " + Arrays.toString(shape));
    }

    /** Layer indices of the inputs whose names match {@code pattern}, ascending. */
    private static int[] layerIndices(Map<String, NodeInfo> inputs, Pattern pattern) {
      return inputs.keySet().stream()
          .map(pattern::matcher)
          .filter(Matcher::matches)
          .mapToInt(m -> Integer.parseInt(m.group(1)))
          .sorted()
          .toArray();
    }

    static DecoderLayout of(OrtSession decoder) {
      try {
        Map<String, NodeInfo> inputs = decoder.getInputInfo();
        for (String name : List.of("inputs_embeds", "attention_mask")) {
          if (!inputs.containsKey(name)) {
            throw new ModelLoadException(
                DECODER + " has no input '" + name + "' (inputs: " + inputs.keySet() + ")");
          }
        }
        // Hybrid decoders (LFM2) start with conv layers, so layers are found by name, not from 0.
        int[] attention = layerIndices(inputs, KV_INPUT);
        int[] conv = layerIndices(inputs, CONV_INPUT);
        if (attention.length == 0) {
          throw new ModelLoadException(DECODER + " has no input 'past_key_values.{i}.key' (inputs: " + inputs.keySet() + ")");
        }
        for (int layer : attention) {
          if (!inputs.containsKey("past_key_values." + layer + ".value")) {
            throw new ModelLoadException(DECODER + " has 'past_key_values." + layer + ".key' but no '.value'");
          }
        }
        long[] kv = ((TensorInfo) inputs.get("past_key_values." + attention[0] + ".key").getInfo()).getShape();
        long[] embeds = ((TensorInfo) inputs.get("inputs_embeds").getInfo()).getShape();
        NodeInfo logitsInfo = decoder.getOutputInfo().get("logits");
        if (logitsInfo == null) {
          throw new ModelLoadException(DECODER + " has no output 'logits'");
        }
        long[] logits = ((TensorInfo) logitsInfo.getInfo()).getShape();
        if (kv.length != 4 || kv[1] <= 0 || kv[3] <= 0 || embeds[2] <= 0 || logits[logits.length - 1] <= 0) {
          throw new ModelLoadException(
              DECODER + " must have static KV heads, head size, hidden size and vocabulary; past shape is "
                  + Arrays.toString(kv) + ", logits shape " + Arrays.toString(logits));
        }
        int convChannels = 0;
        int convWidth = 0;
        if (conv.length > 0) {
          long[] state = ((TensorInfo) inputs.get("past_conv." + conv[0]).getInfo()).getShape();
          if (state.length != 3 || state[1] <= 0 || state[2] <= 0) {
            throw new ModelLoadException(DECODER + " input 'past_conv." + conv[0]
                + "' must be [batch, channels, width] with static channels and width, its shape is "
                + Arrays.toString(state));
          }
          convChannels = (int) state[1];
          convWidth = (int) state[2];
        }
        return new DecoderLayout(
            attention.length, (int) kv[1], (int) kv[3], (int) embeds[2], (int) logits[logits.length - 1],
            positionRows(inputs), inputs.containsKey("use_cache_branch"),
            inputs.containsKey("num_logits_to_keep"), attention, conv, convChannels, convWidth);
      } catch (OrtException e) {
        throw new ModelLoadException("cannot read the inputs of " + DECODER + ": " + e.getMessage(), e);
      }
    }
  }
}
