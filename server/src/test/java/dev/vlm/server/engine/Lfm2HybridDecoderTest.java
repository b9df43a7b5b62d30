package dev.vlm.server.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import dev.vlm.server.TestData;
import dev.vlm.server.config.RuntimeSettings;
import dev.vlm.server.model.ModelDirectory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * LFM2's hybrid decoder (conv layers with a fixed-size state, attention layers with a KV cache,
 * no position ids): its layers are found by name, and each row's conv state travels with it,
 * so chunked prefill and left-padded batched decoding give what one sequence alone gives.
 */
class Lfm2HybridDecoderTest {
  private static OnnxVlm vlm;

  @BeforeAll
  static void load() {
    vlm = OnnxVlm.load(ModelDirectory.open(TestData.root().resolve("models").resolve("tiny-lfm2-vl")),
        OrtRuntime.create(RuntimeSettings.defaults()));
  }

  @AfterAll
  static void close() {
    vlm.close();
  }

  @Test
  void layoutFindsConvAndAttentionLayersByName() {
    OnnxVlm.DecoderLayout layout = vlm.decoderLayout();
    assertThat(layout.attentionLayers()).containsExactly(1, 3);
    assertThat(layout.convLayers()).containsExactly(0, 2);
    assertThat(layout.convChannels()).isEqualTo(64);
    assertThat(layout.convWidth()).isEqualTo(3);
    assertThat(layout.hasPositionIds()).isFalse();
  }

  @Test
  void chunkedPrefillEqualsOnePrefill() {
    int[] prompt = new SplittableRandom(3).ints(11, 5, 700).toArray();
    float[] whole;
    try (KvSequence sequence = vlm.newSequence()) {
      whole = sequence.forward(vlm.embed(prompt), prompt.length);
    }
    try (BatchDecoder decoder = vlm.newBatchDecoder(4, 128)) {
      decoder.step(List.of(row("a", 0, Arrays.copyOfRange(prompt, 0, 4))));
      decoder.step(List.of(row("a", 4, Arrays.copyOfRange(prompt, 4, 5))));
      float[] chunked = decoder.step(List.of(row("a", 5, Arrays.copyOfRange(prompt, 5, 11))))[0];
      assertClose(chunked, whole);
    }
  }

  @Test
  void leftPaddedBatchEqualsEachSequenceAlone() {
    SplittableRandom random = new SplittableRandom(7);
    List<int[]> prompts = List.of(random.ints(3, 5, 700).toArray(), random.ints(9, 5, 700).toArray(),
        random.ints(6, 5, 700).toArray());
    int steps = 5;
    List<List<float[]>> alone = new ArrayList<>();
    for (int[] prompt : prompts) {
      alone.add(solo(prompt, steps));
    }
    try (BatchDecoder decoder = vlm.newBatchDecoder(4, 128)) {
      int[] lengths = new int[prompts.size()];
      int[] last = new int[prompts.size()];
      for (int s = 0; s < prompts.size(); s++) {
        float[] logits = decoder.step(List.of(row("s" + s, 0, prompts.get(s))))[0];
        assertClose(logits, alone.get(s).get(0));
        lengths[s] = prompts.get(s).length;
        last[s] = Greedy.argmax(logits);
      }
      for (int step = 1; step <= steps; step++) {
        // The middle sequence sits out one step: its row idles in the batch, its conv state kept.
        List<Integer> members = new ArrayList<>();
        List<BatchDecoder.Row> rows = new ArrayList<>();
        for (int s = 0; s < prompts.size(); s++) {
          if (s == 1 && step == 2) {
            continue;
          }
          members.add(s);
          rows.add(row("s" + s, lengths[s], new int[] {last[s]}));
        }
        float[][] out = decoder.step(rows);
        for (int k = 0; k < members.size(); k++) {
          int s = members.get(k);
          lengths[s]++;
          last[s] = Greedy.argmax(out[k]);
          int index = lengths[s] - prompts.get(s).length;
          assertClose(out[k], alone.get(s).get(index));
        }
      }
    }
  }

  private static List<float[]> solo(int[] prompt, int steps) {
    List<float[]> logits = new ArrayList<>();
    try (KvSequence sequence = vlm.newSequence()) {
      float[] next = sequence.forward(vlm.embed(prompt), prompt.length);
      logits.add(next);
      for (int i = 0; i <= steps; i++) {
        next = sequence.forward(vlm.embed(new int[] {Greedy.argmax(next)}), 1);
        logits.add(next);
      }
    }
    return logits;
  }

  private static BatchDecoder.Row row(String id, int start, int[] tokens) {
    return new BatchDecoder.Row(id, start, vlm.embed(tokens), tokens.length);
  }

  private static void assertClose(float[] actual, float[] expected) {
    assertThat(actual).hasSameSizeAs(expected);
    for (int i = 0; i < actual.length; i++) {
      assertThat(actual[i]).as("logit %d", i).isCloseTo(expected[i], offset(1e-4f));
    }
  }
}
