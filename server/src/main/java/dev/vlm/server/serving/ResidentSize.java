package dev.vlm.server.serving;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vlm.server.config.BatchingSettings;
import dev.vlm.server.config.Device;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.engine.KvFootprint;
import dev.vlm.server.model.ModelDirectory;
import dev.vlm.server.model.ModelGraph;
import dev.vlm.server.model.WeightType;
import dev.vlm.server.model.WeightTypes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Sizes a model before anything is loaded: weights from the files its weight types select, KV
 * cache and activations from config.json through {@link KvFootprint}, the same formulas the load
 * then applies to the decoder graph's own layout to true the estimate up.
 */
final class ResidentSize {
  private ResidentSize() {}

  /**
   * Bytes of the graphs the weight types select and their external data: what the sessions hold
   * as weights once opened. Other variants in the directory (a downloaded snapshot holds them all)
   * are not counted. On a CPU a float16 graph counts twice its files: ONNX Runtime's CPU kernels
   * compute in float32, so its optimizer widens the float16 weights to float32 when the session
   * opens (seen in the optimized tiny-llava fp16 decoder, whose MatMul weights are float32). This
   * errs high: the bench model's fp16 server holds 500 MiB resident against 591 MiB in fp32.
   */
  static long weightBytes(Path modelDirectory, WeightTypes weights, Device device) {
    long total = 0;
    for (ModelGraph graph : ModelGraph.values()) {
      long bytes = graphBytes(modelDirectory, weights.fileOf(graph));
      total += device == Device.CPU && weights.of(graph) == WeightType.FP16 ? 2 * bytes : bytes;
    }
    return total;
  }

  /** A graph file's bytes with its external data. */
  private static long graphBytes(Path modelDirectory, String relative) {
    Path file = modelDirectory.resolve(relative);
    String stem = file.getFileName().toString();
    // External data: X.onnx_data (optimum, transformers.js), X.onnx.data, or shards X.onnx_data_1...
    try (Stream<Path> siblings = Files.list(file.getParent())) {
      return sizeOf(file) + siblings
          .filter(p -> {
            String name = p.getFileName().toString();
            return name.equals(stem + "_data") || name.equals(stem + ".data") || name.startsWith(stem + "_data_");
          })
          .mapToLong(ResidentSize::sizeOf)
          .sum();
    } catch (IOException e) {
      return 0; // No onnx/ directory: the load reports the missing graph by name.
    }
  }

  private static long sizeOf(Path file) {
    return Files.isRegularFile(file) ? file.toFile().length() : 0;
  }

  /**
   * The KV cache and activation allowance config.json implies, from the text model's layers, KV
   * heads, head size, hidden size and vocabulary, with the cache element size the decoder's weight
   * type implies (float16 for fp16 and q4f16). 0 for a value config.json does not give.
   */
  static long estimatedKvAndActivationBytes(ModelSpec spec, BatchingSettings batching) {
    JsonNode config = ModelDirectory.open(spec.directory()).config();
    JsonNode text = config.has("text_config") ? config.get("text_config") : config;
    // Kosmos-2.5's text config names them layers, attention_heads and embed_dim.
    int layers = text.path("num_hidden_layers").asInt(text.path("layers").asInt(0));
    int heads = text.path("num_attention_heads").asInt(text.path("attention_heads").asInt(0));
    int kvHeads = text.path("num_key_value_heads").asInt(heads);
    int hidden = text.path("hidden_size").asInt(text.path("embed_dim").asInt(0));
    int headDim = text.path("head_dim").asInt(heads > 0 ? hidden / heads : 0);
    int vocab = text.path("vocab_size").asInt(config.path("vocab_size").asInt(0));
    int ownContext = text.path("max_position_embeddings").asInt(config.path("max_position_embeddings").asInt(0));
    int context = spec.maxContextTokens() > 0 ? Math.min(spec.maxContextTokens(), ownContext) : ownContext;
    int sequences = spec.maxRunningSequences() > 0 ? spec.maxRunningSequences() : batching.maxRunningSequences();
    WeightType decoder = spec.weights().of(ModelGraph.DECODER);
    int elementBytes = decoder == WeightType.FP16 || decoder == WeightType.Q4F16 ? 2 : 4;
    KvFootprint footprint = new KvFootprint(layers, kvHeads, headDim, elementBytes, 0, 0);
    long kv;
    if (spec.kvBudgetBytes() > 0) {
      kv = spec.kvBudgetBytes();
    } else {
      long blocks = batching.kvBlocks() > 0
          ? batching.kvBlocks()
          : (long) sequences * ((context + batching.kvBlockSize() - 1) / batching.kvBlockSize());
      kv = footprint.reservedBytes(sequences, context, batching.kvBlockSize(), blocks);
    }
    // Until the graph says whether it returns only the last position's logits, assume a row per prefilled one.
    int logitRows = Math.max(batching.maxBatchedTokens(), sequences);
    return kv + KvFootprint.activationBytes(batching.maxBatchedTokens(), logitRows, hidden, vocab, elementBytes);
  }
}
