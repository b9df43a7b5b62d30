package dev.vlm.server.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm.server.TestData;
import dev.vlm.server.config.RuntimeSettings;
import dev.vlm.server.model.ModelDirectory;
import dev.vlm.server.model.WeightType;
import dev.vlm.server.model.WeightTypes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A sequence's greedy tokens do not depend on what it is batched with: sequences that join,
 * leave, prefill in chunks and decode side by side give exactly what each gives alone.
 */
class BatchDecoderInvarianceTest {
  private static final int SEQUENCES = 16;

  /**
   * Every weight type but the dynamically quantized 8-bit ones, whose activation scales are per
   * tensor and so move with the batch (see docs/MODELS.md).
   */
  @ParameterizedTest
  @CsvSource({
      "tiny-llava, fp32", "tiny-llava-gqa, fp32",
      "tiny-llava, fp16", "tiny-llava, q4", "tiny-llava, q4f16",
      "tiny-llava-gqa, fp16", "tiny-llava-gqa, q4"})
  void batchedGreedyTokensEqualSoloTokens(String model, String dtype) {
    OrtRuntime runtime = OrtRuntime.create(RuntimeSettings.defaults());
    try (OnnxVlm vlm = OnnxVlm.load(ModelDirectory.open(TestData.root().resolve("models").resolve(model)), runtime,
        WeightTypes.uniform(WeightType.parse(dtype)))) {
      assertThat(vlm.writesCacheInPlace()).isEqualTo(model.endsWith("gqa"));
      SplittableRandom random = new SplittableRandom(11);
      List<int[]> prompts = new ArrayList<>();
      int[] outputs = new int[SEQUENCES];
      int[] arrivals = new int[SEQUENCES];
      for (int s = 0; s < SEQUENCES; s++) {
        prompts.add(random.ints(3 + random.nextInt(40), 3, 700).toArray());
        outputs[s] = 2 + random.nextInt(30);
        arrivals[s] = random.nextInt(12);
      }
      List<List<Integer>> alone = new ArrayList<>();
      for (int s = 0; s < SEQUENCES; s++) {
        alone.add(solo(vlm, prompts.get(s), outputs[s]));
      }
      assertThat(batched(vlm, prompts, outputs, arrivals)).isEqualTo(alone);
    }
  }

  private static List<Integer> solo(OnnxVlm vlm, int[] prompt, int outputs) {
    List<Integer> tokens = new ArrayList<>();
    try (KvSequence sequence = vlm.newSequence()) {
      float[] logits = sequence.forward(vlm.embed(prompt), prompt.length);
      for (int i = 0; i < outputs; i++) {
        int token = Greedy.argmax(logits);
        tokens.add(token);
        logits = sequence.forward(vlm.embed(new int[] {token}), 1);
      }
    }
    return tokens;
  }

  /** Sequences arrive at different steps, prefill in chunks of at most 16, then decode together. */
  private static List<List<Integer>> batched(OnnxVlm vlm, List<int[]> prompts, int[] outputs, int[] arrivals) {
    Map<Integer, List<Integer>> tokens = new HashMap<>();
    int[] position = new int[SEQUENCES];
    int[] lastToken = new int[SEQUENCES];
    try (BatchDecoder decoder = vlm.newBatchDecoder(SEQUENCES, 512)) {
      for (int step = 0; tokens.values().stream().mapToInt(List::size).sum() < java.util.Arrays.stream(outputs).sum(); step++) {
        List<BatchDecoder.Row> rows = new ArrayList<>();
        List<Integer> who = new ArrayList<>();
        for (int s = 0; s < SEQUENCES; s++) {
          int[] prompt = prompts.get(s);
          List<Integer> out = tokens.computeIfAbsent(s, k -> new ArrayList<>());
          if (step < arrivals[s] || out.size() == outputs[s]) {
            continue;
          }
          if (position[s] < prompt.length) {
            int length = Math.min(16, prompt.length - position[s]);
            int[] chunk = java.util.Arrays.copyOfRange(prompt, position[s], position[s] + length);
            rows.add(new BatchDecoder.Row("s" + s, position[s], vlm.embed(chunk), length));
          } else {
            rows.add(new BatchDecoder.Row("s" + s, position[s], vlm.embed(new int[] {lastToken[s]}), 1));
          }
          who.add(s);
        }
        float[][] logits = decoder.step(rows);
        for (int k = 0; k < who.size(); k++) {
          int s = who.get(k);
          position[s] += rows.get(k).length();
          if (position[s] >= prompts.get(s).length) {
            int token = Greedy.argmax(logits[k]);
            tokens.get(s).add(token);
            lastToken[s] = token;
            if (tokens.get(s).size() == outputs[s]) {
              decoder.release("s" + s);
            }
          }
        }
      }
    }
    List<List<Integer>> result = new ArrayList<>();
    for (int s = 0; s < SEQUENCES; s++) {
      result.add(tokens.get(s));
    }
    return result;
  }
}
