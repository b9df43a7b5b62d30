package dev.vlm.server.generation;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashSet;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A model's own generation settings, from {@code generation_config.json} with config.json as
 * fallback for the end-of-sequence ids. Unset values take Hugging Face's documented defaults.
 *
 * @param maxNewTokens the model's preferred output length, if it names one
 * @param doSample whether the model samples by default (else greedy)
 * @param temperature sampling temperature when sampling
 * @param topP nucleus mass
 * @param topK top-k cut, 0 for none
 * @param repetitionPenalty 1 for none
 * @param eosTokenIds ids that end generation
 */
public record GenerationDefaults(
    OptionalInt maxNewTokens,
    boolean doSample,
    float temperature,
    float topP,
    int topK,
    float repetitionPenalty,
    Set<Integer> eosTokenIds) {

  public GenerationDefaults {
    eosTokenIds = Set.copyOf(eosTokenIds);
  }

  /**
   * @param generationConfig generation_config.json (an empty object if the file is absent)
   * @param modelConfig config.json
   */
  public static GenerationDefaults read(JsonNode generationConfig, JsonNode modelConfig) {
    Set<Integer> eos = new LinkedHashSet<>();
    addIds(generationConfig.path("eos_token_id"), eos);
    if (eos.isEmpty()) {
      addIds(modelConfig.path("eos_token_id"), eos);
      addIds(modelConfig.path("text_config").path("eos_token_id"), eos);
    }
    JsonNode g = generationConfig;
    return new GenerationDefaults(
        g.has("max_new_tokens") ? OptionalInt.of(g.get("max_new_tokens").asInt()) : OptionalInt.empty(),
        g.path("do_sample").asBoolean(false),
        (float) g.path("temperature").asDouble(1.0),
        (float) g.path("top_p").asDouble(1.0),
        g.path("top_k").asInt(50),
        (float) g.path("repetition_penalty").asDouble(1.0),
        eos);
  }

  private static void addIds(JsonNode node, Set<Integer> into) {
    if (node.isInt()) {
      into.add(node.asInt());
    } else if (node.isArray()) {
      node.forEach(id -> into.add(id.asInt()));
    }
  }
}
