package dev.vlm.server.serving;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vlm.server.config.BatchingSettings;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.model.ModelDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Sizes a model before anything is loaded: weights from its files, KV cache and activations from
 * config.json. The load reserves this estimate before it opens a session, then trues it up with
 * the decoder graph's own layout.
 */
final class ResidentSize {
  private ResidentSize() {}

  /**
   * Bytes of the ONNX graphs and their external data under {@code onnx/}: what the sessions
   * hold as weights once opened.
   */
  static long weightBytes(Path modelDirectory) {
    Path onnx = modelDirectory.resolve("onnx");
    if (!Files.isDirectory(onnx)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(onnx)) {
      return files.filter(Files::isRegularFile)
          .filter(p -> {
            String name = p.getFileName().toString();
            return name.endsWith(".onnx") || name.endsWith(".onnx_data") || name.endsWith(".onnx.data");
          })
          .mapToLong(p -> p.toFile().length())
          .sum();
    } catch (IOException e) {
      return 0;
    }
  }

  /**
   * The KV cache and activation allowance config.json implies: the same formulas as {@code
   * OnnxVlm#kvArenaBytes} and {@code OnnxVlm#activationBytes}, from the text model's layers, KV
   * heads, head size, hidden size and vocabulary. 0 for a value config.json does not give.
   */
  static long estimatedKvAndActivationBytes(ModelSpec spec, BatchingSettings batching) {
    JsonNode config = ModelDirectory.open(spec.directory()).config();
    JsonNode text = config.has("text_config") ? config.get("text_config") : config;
    int layers = text.path("num_hidden_layers").asInt(0);
    int heads = text.path("num_attention_heads").asInt(0);
    int kvHeads = text.path("num_key_value_heads").asInt(heads);
    int hidden = text.path("hidden_size").asInt(0);
    int headDim = text.path("head_dim").asInt(heads > 0 ? hidden / heads : 0);
    int vocab = text.path("vocab_size").asInt(config.path("vocab_size").asInt(0));
    int ownContext = text.path("max_position_embeddings").asInt(config.path("max_position_embeddings").asInt(0));
    int context = spec.maxContextTokens() > 0 ? Math.min(spec.maxContextTokens(), ownContext) : ownContext;
    int sequences = spec.maxRunningSequences() > 0 ? spec.maxRunningSequences() : batching.maxRunningSequences();
    long perPosition = (long) layers * kvHeads * headDim * Float.BYTES * 2;
    long kv;
    if (spec.kvBudgetBytes() > 0) {
      kv = spec.kvBudgetBytes();
    } else if (batching.kvBlocks() > 0) {
      kv = perPosition * batching.kvBlocks() * batching.kvBlockSize();
    } else {
      long blocksPerSequence = (context + batching.kvBlockSize() - 1) / batching.kvBlockSize();
      kv = perPosition * blocksPerSequence * batching.kvBlockSize() * sequences;
    }
    long activations = 8L * batching.maxBatchedTokens() * hidden * Float.BYTES + (long) sequences * vocab * Float.BYTES;
    return kv + activations;
  }
}
