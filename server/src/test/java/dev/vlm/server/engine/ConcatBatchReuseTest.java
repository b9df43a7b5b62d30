package dev.vlm.server.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm.server.TestData;
import dev.vlm.server.config.RuntimeSettings;
import dev.vlm.server.model.ModelDirectory;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The concat decoder's batch keeps rows in place while sequences come and go. Each of its paths
 * gives every sequence its solo greedy tokens: a joiner taking a dead row, a joiner wider than
 * the batch, compaction of a sparse batch, a member skipped for steps, a member prefilling
 * again, an id restarted at 0; and a long run of joins and leaves keeps the buffers bounded.
 */
class ConcatBatchReuseTest {
  private static final int[] NONE = {};

  @ParameterizedTest
  @ValueSource(strings = {"tiny-llava", "tiny-lfm2-vl", "tiny-qwen2-vl"})
  void rowsReusedSkippedAndReprefilledGiveSoloTokens(String model) {
    try (OnnxVlm vlm = load(model);
        ConcatBatchDecoder decoder = (ConcatBatchDecoder) vlm.newBatchDecoder(8, 256)) {
      ConcatBatchArena batch = decoder.batch();
      SplittableRandom random = new SplittableRandom(5);
      Script a = new Script("a", tokens(random, 5), 12, NONE, 0);
      Script b = new Script("b", tokens(random, 7), 2, NONE, 0);
      Script c = new Script("c", tokens(random, 9), 14, NONE, 0);
      Script d = new Script("d", tokens(random, 11), 3, tokens(random, 4), 6);
      List<Script> all = new ArrayList<>(List.of(a, b, c, d));

      step(vlm, decoder, a, b, c, d); // four prefills, each alone
      step(vlm, decoder, a, b, c, d); // four joiners: the first layout; b is done and leaves a dead row
      assertThat(List.of(batch.rows(), batch.width(), batch.relayouts())).containsExactly(4, 12, 1);
      Script e = new Script("e", tokens(random, 6), 9, NONE, 0);
      all.add(e);
      step(vlm, decoder, a, c, d, e); // the dead row rides along
      assertThat(batch.rows()).isEqualTo(4);
      // d prefills again (last token plus 4) and leaves its row (the last: it goes); e takes b's dead row.
      step(vlm, decoder, a, c, d, e);
      assertThat(d.position).isGreaterThan(batch.width());
      assertThat(List.of(batch.rows(), batch.relayouts(), batch.lengthOf("e"))).containsExactly(3, 1, 7);
      step(vlm, decoder, a, c, d, e); // d rejoins wider than the batch: re-laid out
      assertThat(List.of(batch.rows(), batch.width(), batch.relayouts())).containsExactly(4, d.position, 2);

      int held = batch.lengthOf("c");
      step(vlm, decoder, a, d, e); // c is skipped twice: it idles, nothing moves
      step(vlm, decoder, a, d, e);
      assertThat(List.of(batch.lengthOf("c"), batch.relayouts())).containsExactly(held, 2);
      step(vlm, decoder, a, c, d, e);
      assertThat(batch.lengthOf("c")).isEqualTo(held + 1);

      Script restarted = new Script("a", tokens(random, 8), 6, NONE, 0);
      all.add(restarted); // a restarts at 0 with another prompt: its old row dies
      Script f = new Script("f", tokens(random, 60), 2, NONE, 0);
      all.add(f);
      step(vlm, decoder, restarted, c, d, e, f);
      step(vlm, decoder, restarted, c, d, e, f); // f joins wider than the batch
      assertThat(batch.relayouts()).isEqualTo(3);
      int width = batch.width();
      while (!e.done()) {
        step(vlm, decoder, restarted, c, d, e, f); // f and then the others finish
      }
      while (!(restarted.done() && d.done())) {
        step(vlm, decoder, restarted, c, d);
      }
      // The sparse batch was compacted: far narrower than f left it.
      assertThat(batch.relayouts()).isGreaterThan(3);
      assertThat(batch.width()).isLessThan(width);
      assertThat(batch.width()).isLessThanOrEqualTo(2 * batch.lengthOf("c"));
      while (!c.done()) {
        step(vlm, decoder, c);
      }
      for (Script script : all) {
        // The first a was cut short by its restart; the others ran to their end.
        assertThat(script.done()).isEqualTo(script != a);
        assertThat(script.tokens).as("%s %s", model, script.id)
            .isEqualTo(solo(vlm, script).subList(0, script.tokens.size()));
      }
    }
  }

  @Test
  void longRunOfJoinsAndLeavesKeepsBuffersBoundedAndSoloTokens() {
    int concurrency = 6;
    int longest = 30 + 10 + 6 + 5; // prompt, first tokens, re-fed chunk, second tokens
    try (OnnxVlm vlm = load("tiny-llava")) {
      ConcatBatchDecoder decoder = (ConcatBatchDecoder) vlm.newBatchDecoder(concurrency, 256);
      ConcatBatchArena batch = decoder.batch();
      SplittableRandom random = new SplittableRandom(23);
      List<Script> active = new ArrayList<>();
      List<Script> all = new ArrayList<>();
      long mostBytes = 0;
      int widest = 0;
      for (int step = 0; step < 400; step++) {
        while (active.size() < concurrency) {
          Script script = new Script("r" + all.size() % 9, tokens(random, 3 + random.nextInt(28)),
              1 + random.nextInt(10), random.nextInt(3) == 0 ? tokens(random, 2 + random.nextInt(4)) : NONE,
              random.nextInt(6));
          // Ids repeat: a new script under a live id restarts it.
          active.removeIf(other -> other.id.equals(script.id));
          active.add(script);
          all.add(script);
        }
        List<Script> stepping = new ArrayList<>();
        for (Script script : active) {
          if (script.position == 0 || random.nextInt(7) != 0) {
            stepping.add(script);
          }
        }
        step(vlm, decoder, stepping.toArray(Script[]::new));
        active.removeIf(Script::done);
        mostBytes = Math.max(mostBytes, batch.bytesHeld());
        widest = Math.max(widest, batch.width());
      }
      OnnxVlm.DecoderLayout layout = vlm.decoderLayout();
      long bytesPerPosition = (long) layout.layers() * 2 * layout.kvHeads() * layout.headDim() * Float.BYTES;
      // Width stays within twice the longest member (plus the step's new position); buffers
      // within 2 (current and spare) x 5/4 (growth headroom) of the rows at that width. Without
      // compaction the width would pass 400.
      assertThat(widest).isLessThanOrEqualTo(2 * longest + 1);
      assertThat(mostBytes).isLessThanOrEqualTo(5L * concurrency * (2 * longest + 2) * bytesPerPosition / 2);
      assertThat(batch.relayouts()).isGreaterThan(1);
      decoder.close();
      assertThat(batch.bytesHeld()).isZero();
      for (Script script : all) {
        assertThat(script.tokens).as(script.id).isEqualTo(solo(vlm, script).subList(0, script.tokens.size()));
      }
    }
  }

  private static OnnxVlm load(String model) {
    return OnnxVlm.load(ModelDirectory.open(TestData.root().resolve("models").resolve(model)),
        OrtRuntime.create(RuntimeSettings.defaults()));
  }

  /** One batch decoder step for the scripts' next inputs; finished scripts are released. */
  private static void step(OnnxVlm vlm, BatchDecoder decoder, Script... scripts) {
    List<BatchDecoder.Row> rows = new ArrayList<>();
    List<Script> who = new ArrayList<>();
    for (Script script : scripts) {
      if (!script.done()) {
        int[] input = script.nextInput();
        rows.add(new BatchDecoder.Row(script.id, script.position, vlm.embed(input), input.length));
        who.add(script);
      }
    }
    float[][] logits = decoder.step(rows);
    for (int k = 0; k < who.size(); k++) {
      Script script = who.get(k);
      script.accept(rows.get(k).length(), logits[k]);
      if (script.done()) {
        decoder.release(script.id);
      }
    }
  }

  /** The script's greedy tokens, run alone. */
  private static List<Integer> solo(OnnxVlm vlm, Script spec) {
    Script script = new Script(spec.id, spec.prompt, spec.first, spec.extra, spec.second);
    try (KvSequence sequence = vlm.newSequence()) {
      while (!script.done()) {
        int[] input = script.nextInput();
        script.accept(input.length, sequence.forward(vlm.embed(input), input.length));
      }
    }
    return script.tokens;
  }

  private static int[] tokens(SplittableRandom random, int count) {
    return random.ints(count, 3, 500).toArray();
  }

  /**
   * A sequence: its prompt, then {@code first} greedy tokens, then (if {@code extra} is not
   * empty) its last token and {@code extra} fed as one chunk, as after a new user turn, then
   * {@code second} more tokens.
   */
  private static final class Script {
    final String id;
    final int[] prompt;
    final int first;
    final int[] extra;
    final int second;
    final List<Integer> tokens = new ArrayList<>();
    int position;

    Script(String id, int[] prompt, int first, int[] extra, int second) {
      this.id = id;
      this.prompt = prompt;
      this.first = first;
      this.extra = extra;
      this.second = second;
    }

    int[] nextInput() {
      if (position == 0) {
        return prompt;
      }
      int last = tokens.getLast();
      if (tokens.size() == first && extra.length > 0 && position == prompt.length + first - 1) {
        int[] chunk = new int[extra.length + 1];
        chunk[0] = last;
        System.arraycopy(extra, 0, chunk, 1, extra.length);
        return chunk;
      }
      return new int[] {last};
    }

    void accept(int fed, float[] logits) {
      position += fed;
      tokens.add(Greedy.argmax(logits));
    }

    boolean done() {
      return tokens.size() == first + (extra.length > 0 ? second : 0);
    }
  }
}
