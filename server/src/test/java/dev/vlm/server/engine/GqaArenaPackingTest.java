package dev.vlm.server.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm.server.TestData;
import dev.vlm.server.config.RuntimeSettings;
import dev.vlm.server.model.ModelDirectory;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The in-place decoder keeps each step's decodes in one ONNX Runtime call when sequences leave
 * gaps between their slots or a held slot sits idle between decoding ones, and moving a
 * sequence or riding along as a filler changes nobody's tokens.
 */
class GqaArenaPackingTest {
  private OnnxVlm vlm;

  @BeforeEach
  void load() {
    vlm = OnnxVlm.load(ModelDirectory.open(TestData.root().resolve("models").resolve("tiny-llava-gqa")),
        OrtRuntime.create(RuntimeSettings.defaults()));
  }

  @AfterEach
  void close() {
    vlm.close();
  }

  @Test
  void decodersMoveDownIntoFreedSlotsAndStillDecodeInOneCall() {
    try (GqaArenaDecoder decoder = (GqaArenaDecoder) vlm.newBatchDecoder(8, 256)) {
      List<Sequence> sequences = IntStream.range(0, 6).mapToObj(s -> new Sequence("s" + s, prompt(s))).toList();
      sequences.forEach(s -> s.prefill(decoder));
      decoder.release("s0");
      decoder.release("s2");
      List<Sequence> left = List.of(sequences.get(1), sequences.get(3), sequences.get(4), sequences.get(5));
      for (int step = 0; step < 6; step++) {
        decodeAll(decoder, left);
        assertThat(decoder.lastStepDecodeCalls()).isEqualTo(1);
      }
      // The two at the top moved into the freed slots 0 and 2; the rest stayed.
      assertThat(left.stream().map(s -> decoder.slotHeldBy(s.id)).sorted().toList()).containsExactly(0, 1, 2, 3);
      for (Sequence sequence : left) {
        assertThat(sequence.tokens).isEqualTo(solo(sequence.prompt, sequence.tokens.size()));
      }
    }
  }

  @Test
  void aHeldSlotBetweenDecodersRidesAlongWithoutLosingItsCache() {
    try (GqaArenaDecoder decoder = (GqaArenaDecoder) vlm.newBatchDecoder(4, 256)) {
      List<Sequence> sequences = IntStream.range(0, 3).mapToObj(s -> new Sequence("s" + s, prompt(s))).toList();
      sequences.forEach(s -> s.prefill(decoder));
      Sequence idle = sequences.get(1);
      List<Sequence> busy = List.of(sequences.get(0), sequences.get(2));
      for (int step = 0; step < 4; step++) {
        decodeAll(decoder, busy);
        assertThat(decoder.lastStepDecodeCalls()).isEqualTo(1);
      }
      assertThat(decoder.slotHeldBy(idle.id)).isEqualTo(1);
      for (int step = 0; step < 4; step++) {
        decodeAll(decoder, sequences);
      }
      for (Sequence sequence : sequences) {
        assertThat(sequence.tokens).isEqualTo(solo(sequence.prompt, sequence.tokens.size()));
      }
    }
  }

  private static int[] prompt(int s) {
    return IntStream.range(0, 5 + 7 * s).map(i -> 3 + (i * 31 + s * 17) % 600).toArray();
  }

  private void decodeAll(BatchDecoder decoder, List<Sequence> sequences) {
    List<BatchDecoder.Row> rows = new ArrayList<>();
    for (Sequence s : sequences) {
      rows.add(new BatchDecoder.Row(s.id, s.position, vlm.embed(new int[] {s.tokens.getLast()}), 1));
    }
    float[][] logits = decoder.step(rows);
    for (int k = 0; k < sequences.size(); k++) {
      sequences.get(k).position++;
      sequences.get(k).tokens.add(Greedy.argmax(logits[k]));
    }
  }

  private List<Integer> solo(int[] prompt, int count) {
    List<Integer> tokens = new ArrayList<>();
    try (KvSequence sequence = vlm.newSequence()) {
      float[] logits = sequence.forward(vlm.embed(prompt), prompt.length);
      while (tokens.size() < count) {
        tokens.add(Greedy.argmax(logits));
        logits = sequence.forward(vlm.embed(new int[] {tokens.getLast()}), 1);
      }
    }
    return tokens;
  }

  /** A sequence driven by hand: its prompt, its cache length, its greedy tokens so far. */
  private final class Sequence {
    final String id;
    final int[] prompt;
    int position;
    final List<Integer> tokens = new ArrayList<>();

    Sequence(String id, int[] prompt) {
      this.id = id;
      this.prompt = prompt;
    }

    void prefill(BatchDecoder decoder) {
      float[] logits = decoder.step(List.of(new BatchDecoder.Row(id, 0, vlm.embed(prompt), prompt.length)))[0];
      position = prompt.length;
      tokens.add(Greedy.argmax(logits));
    }
  }
}
