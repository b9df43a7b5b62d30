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
import dev.vlm.server.model.ModelGraph;
import dev.vlm.server.model.ModelLoadException;
import dev.vlm.server.model.PixelBatch;
import dev.vlm.server.model.WeightType;
import dev.vlm.server.model.WeightTypes;
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
import java.util.stream.Collectors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The three graphs of a vision-language export (optimum / transformers.js layout): the vision
 * encoder, the token embedding and the merged decoder with a concatenated KV cache, each in the
 * weight type the model is configured with. Element types (float32 or float16) are read from
 * each graph. Sessions are thread-safe; one {@link KvSequence} per generating request holds that
 * request's cache.
 */
public final class OnnxVlm implements AutoCloseable {
  private final OrtRuntime runtime;
  private final OrtSession vision;
  private final OrtSession embed;
  private final OrtSession decoder;
  private final DecoderLayout layout;
  private final ElementType pixelType;
  private final int sharedBufferPositions;

  private OnnxVlm(
      OrtRuntime runtime, OrtSession vision, OrtSession embed, OrtSession decoder, DecoderLayout layout,
      ElementType pixelType, int sharedBufferPositions) {
    this.runtime = runtime;
    this.vision = vision;
    this.embed = embed;
    this.decoder = decoder;
    this.layout = layout;
    this.pixelType = pixelType;
    this.sharedBufferPositions = sharedBufferPositions;
  }

  /**
   * Checks that the directory has the three graphs in the chosen weight types.
   *
   * @throws ModelLoadException naming the first missing file and the dtypes the directory has
   */
  public static void requireGraphs(ModelDirectory dir, WeightTypes weights) {
    for (ModelGraph graph : ModelGraph.values()) {
      String file = weights.fileOf(graph);
      if (!dir.has(file)) {
        throw new ModelLoadException("model directory " + dir.root() + " is missing " + file + " (dtype "
            + weights.of(graph) + " of " + graph.stem() + "); dtypes present: " + dtypesPresent(dir));
      }
    }
  }

  /** Weight types whose three graphs the directory has, or per graph when none is complete. */
  static String dtypesPresent(ModelDirectory dir) {
    String complete = Arrays.stream(WeightType.values())
        .filter(type -> Arrays.stream(ModelGraph.values()).allMatch(g -> dir.has(type.fileName(g.stem()))))
        .map(WeightType::configName)
        .collect(Collectors.joining(", "));
    if (!complete.isEmpty()) {
      return complete;
    }
    String partial = Arrays.stream(ModelGraph.values())
        .map(g -> g.stem() + ": " + Arrays.stream(WeightType.values())
            .filter(type -> dir.has(type.fileName(g.stem())))
            .map(WeightType::configName)
            .collect(Collectors.joining(" ")))
        .collect(Collectors.joining("; "));
    return "no dtype has all three graphs (" + partial + ")";
  }

  /**
   * Opens the three graphs in the given weight types.
   *
   * @throws ModelLoadException if a graph is missing or unloadable, lacks the expected inputs, or
   *     has a tensor of an element type the server cannot feed
   */
  public static OnnxVlm load(ModelDirectory dir, OrtRuntime runtime, WeightTypes weights) {
    requireGraphs(dir, weights);
    String visionFile = weights.fileOf(ModelGraph.VISION_ENCODER);
    String embedFile = weights.fileOf(ModelGraph.EMBED_TOKENS);
    String decoderFile = weights.fileOf(ModelGraph.DECODER);
    List<OrtSession> opened = new ArrayList<>();
    try {
      OrtSession vision = open(runtime, dir, visionFile, opened);
      OrtSession embed = open(runtime, dir, embedFile, opened);
      OrtSession decoder = open(runtime, dir, decoderFile, opened);
      requireInputs(vision, visionFile, Set.of("pixel_values"));
      requireInputs(embed, embedFile, Set.of("input_ids"));
      ElementType pixelType = GraphTypes.vision(vision, visionFile);
      GraphTypes.embed(embed, embedFile);
      DecoderLayout layout = DecoderLayout.of(decoder, decoderFile);
      int shared = sharedBufferPositions(dir);
      if (shared > 0 && layout.convLayers().length > 0) {
        // The in-place arena holds KV tensors only; conv states would have nowhere to live.
        throw new ModelLoadException(decoderFile + " has conv states (a hybrid decoder), which a shared past/present buffer cannot hold");
      }
      return new OnnxVlm(runtime, vision, embed, decoder, layout, pixelType, shared);
    } catch (RuntimeException e) {
      for (OrtSession s : opened) {
        closeQuietly(s);
      }
      throw e;
    }
  }

  /** Opens the float32 graphs. */
  public static OnnxVlm load(ModelDirectory dir, OrtRuntime runtime) {
    return load(dir, runtime, WeightTypes.fp32());
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
   * positions each (see {@link KvFootprint#capacity}): the in-place arena for shared-buffer
   * decoders, padded batches otherwise.
   */
  public BatchDecoder newBatchDecoder(int maxSequences, int maxPositions) {
    int positions = kvFootprint().capacity(maxPositions);
    if (sharedBufferPositions > 0) {
      return new GqaArenaDecoder(runtime.env(), decoder, layout, positions, maxSequences);
    }
    return new ConcatBatchDecoder(runtime.env(), decoder, layout, maxSequences, positions);
  }

  /** What this decoder's physical KV cache costs, read from the graph: the one source of KV sizes. */
  public KvFootprint kvFootprint() {
    return new KvFootprint(layout.layers(), layout.kvHeads(), layout.headDim(), layout.cacheType().bytes(),
        (long) layout.convLayers().length * layout.convStateSize() * layout.cacheType().bytes(), sharedBufferPositions);
  }

  /**
   * A working allowance for one step's intermediate tensors: a few hidden-size rows per batched
   * token, and the logits rows of a step (one per running sequence, or one per prefilled position
   * when the graph returns them all). An estimate, not a measurement: ONNX Runtime does not report
   * its arena's high-water mark.
   */
  public long activationBytes(int maxBatchedTokens, int maxSequences) {
    // Without num_logits_to_keep a prefill chunk's logits are a row per position, not one.
    int logitRows = layout.hasNumLogitsToKeep() ? maxSequences : Math.max(maxBatchedTokens, maxSequences);
    return KvFootprint.activationBytes(
        maxBatchedTokens, logitRows, layout.hiddenSize(), layout.vocabSize(), layout.embedsType().bytes());
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
      feeds.put("pixel_values", pixelType.tensor(runtime.env(), input.pixels(), input.shape()));
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
    FloatBuffer data = ElementType.floats(features);
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
      FloatBuffer data = ElementType.floats((OnnxTensor) out.get(0));
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
   * @param embedsType element type of {@code inputs_embeds}
   * @param cacheType element type of every cache input and output (KV and conv states)
   * @param logitsType element type of {@code logits}
   */
  record DecoderLayout(
      int layers, int kvHeads, int headDim, int hiddenSize, int vocabSize, int positionRows,
      boolean hasUseCacheBranch, boolean hasNumLogitsToKeep, int[] attentionLayers, int[] convLayers,
      int convChannels, int convWidth, ElementType embedsType, ElementType cacheType, ElementType logitsType) {
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
    private static int positionRows(Map<String, NodeInfo> inputs, String file) {
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
          file + " input 'position_ids' must have rank 2 or 3, its shape is " + Arrays.toString(shape));
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

    static DecoderLayout of(OrtSession decoder, String file) {
      try {
        Map<String, NodeInfo> inputs = decoder.getInputInfo();
        for (String name : List.of("inputs_embeds", "attention_mask")) {
          if (!inputs.containsKey(name)) {
            throw new ModelLoadException(
                file + " has no input '" + name + "' (inputs: " + inputs.keySet() + ")");
          }
        }
        // Hybrid decoders (LFM2) start with conv layers, so layers are found by name, not from 0.
        int[] attention = layerIndices(inputs, KV_INPUT);
        int[] conv = layerIndices(inputs, CONV_INPUT);
        if (attention.length == 0) {
          throw new ModelLoadException(file + " has no input 'past_key_values.{i}.key' (inputs: " + inputs.keySet() + ")");
        }
        for (int layer : attention) {
          if (!inputs.containsKey("past_key_values." + layer + ".value")) {
            throw new ModelLoadException(file + " has 'past_key_values." + layer + ".key' but no '.value'");
          }
        }
        long[] kv = ((TensorInfo) inputs.get("past_key_values." + attention[0] + ".key").getInfo()).getShape();
        long[] embeds = ((TensorInfo) inputs.get("inputs_embeds").getInfo()).getShape();
        NodeInfo logitsInfo = decoder.getOutputInfo().get("logits");
        if (logitsInfo == null) {
          throw new ModelLoadException(file + " has no output 'logits'");
        }
        long[] logits = ((TensorInfo) logitsInfo.getInfo()).getShape();
        if (kv.length != 4 || kv[1] <= 0 || kv[3] <= 0 || embeds[2] <= 0 || logits[logits.length - 1] <= 0) {
          throw new ModelLoadException(
              file + " must have static KV heads, head size, hidden size and vocabulary; past shape is "
                  + Arrays.toString(kv) + ", logits shape " + Arrays.toString(logits));
        }
        int convChannels = 0;
        int convWidth = 0;
        if (conv.length > 0) {
          long[] state = ((TensorInfo) inputs.get("past_conv." + conv[0]).getInfo()).getShape();
          if (state.length != 3 || state[1] <= 0 || state[2] <= 0) {
            throw new ModelLoadException(file + " input 'past_conv." + conv[0]
                + "' must be [batch, channels, width] with static channels and width, its shape is "
                + Arrays.toString(state));
          }
          convChannels = (int) state[1];
          convWidth = (int) state[2];
        }
        GraphTypes.DecoderTypes types = GraphTypes.decoder(decoder, file);
        return new DecoderLayout(
            attention.length, (int) kv[1], (int) kv[3], (int) embeds[2], (int) logits[logits.length - 1],
            positionRows(inputs, file), inputs.containsKey("use_cache_branch"),
            inputs.containsKey("num_logits_to_keep"), attention, conv, convChannels, convWidth,
            types.embeds(), types.cache(), types.logits());
      } catch (OrtException e) {
        throw new ModelLoadException("cannot read the inputs of " + file + ": " + e.getMessage(), e);
      }
    }
  }
}
