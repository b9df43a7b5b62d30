package dev.vlm.server.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.lang.management.ManagementFactory;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SamplerTest {
  private static final TokenHistory NONE = new TokenHistory();

  private static SamplingParams sampling(float temperature, float topP, int topK, float penalty) {
    return new SamplingParams(temperature, topP, topK, penalty, OptionalLong.of(1234));
  }

  private static float[] randomLogits(SplittableRandom random, int size) {
    float[] logits = new float[size];
    for (int i = 0; i < size; i++) {
      logits[i] = (float) (3 * random.nextGaussian());
    }
    return logits;
  }

  private static int argmax(float[] values) {
    int best = 0;
    for (int i = 1; i < values.length; i++) {
      if (values[i] > values[best]) {
        best = i;
      }
    }
    return best;
  }

  /** Sampling frequency of each token over {@code draws} steps on the same logits. */
  private static double[] frequencies(Sampler sampler, float[] logits, TokenHistory seen, int draws) {
    double[] counts = new double[logits.length];
    for (int i = 0; i < draws; i++) {
      counts[sampler.next(logits, 0, seen)]++;
    }
    for (int i = 0; i < counts.length; i++) {
      counts[i] /= draws;
    }
    return counts;
  }

  private static float[] logitsOf(double... probabilities) {
    float[] logits = new float[probabilities.length];
    for (int i = 0; i < logits.length; i++) {
      logits[i] = (float) Math.log(probabilities[i]);
    }
    return logits;
  }

  // 20000 draws: one standard deviation of a frequency is at most 0.0036, so 0.015 is > 4 sigma;
  // the seed is fixed, so the outcome is the same on every run anyway.
  private static final int DRAWS = 20_000;
  private static final double TOLERANCE = 0.015;

  @Test
  void greedyIsTheArgmaxAndTiesGoToTheLowestId() {
    SplittableRandom random = new SplittableRandom(1);
    Sampler sampler = new Sampler(SamplingParams.greedy(), 1000);
    for (int step = 0; step < 50; step++) {
      float[] logits = randomLogits(random, 1000);
      assertThat(sampler.next(logits, 0, NONE)).isEqualTo(argmax(logits));
    }
    Sampler small = new Sampler(SamplingParams.greedy(), 4);
    assertThat(small.next(new float[] {1, 3, 3, 2}, 0, NONE)).isEqualTo(1);
    assertThat(small.next(new float[] {-5, -5, -5, -5}, 0, NONE)).isEqualTo(0);
  }

  @Test
  void readsTheRowAtTheOffsetAndLeavesTheLogitsUntouched() {
    float[] batch = {9, 0, 0, /* row 1: */ 0, 1, 5, /* row 2: */ 7, 0, 0};
    float[] copy = batch.clone();
    TokenHistory seen = new TokenHistory();
    seen.add(2);
    Sampler greedy = new Sampler(sampling(0f, 1f, 0, 3f), 3);
    assertThat(greedy.next(batch, 3, seen)).isEqualTo(2);
    Sampler sampler = new Sampler(sampling(1f, 0.9f, 2, 3f), 3);
    for (int i = 0; i < 20; i++) {
      assertThat(sampler.next(batch, 3, seen)).isIn(1, 2);
    }
    assertThat(batch).containsExactly(copy);
    assertThatThrownBy(() -> greedy.next(batch, 7, seen))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void theSameSeedGivesTheSameTokens() {
    SplittableRandom random = new SplittableRandom(2);
    float[][] steps = new float[200][];
    for (int i = 0; i < steps.length; i++) {
      steps[i] = randomLogits(random, 64);
    }
    SamplingParams params = new SamplingParams(1f, 0.95f, 40, 1.1f, OptionalLong.of(99));
    int[] first = drawAll(new Sampler(params, 64), steps);
    int[] second = drawAll(new Sampler(params, 64), steps);
    int[] otherSeed = drawAll(new Sampler(params.withSeed(100), 64), steps);
    assertThat(second).containsExactly(first);
    assertThat(otherSeed).isNotEqualTo(first);
  }

  private static int[] drawAll(Sampler sampler, float[][] steps) {
    TokenHistory seen = new TokenHistory();
    int[] tokens = new int[steps.length];
    for (int i = 0; i < steps.length; i++) {
      tokens[i] = sampler.next(steps[i], 0, seen);
      seen.add(tokens[i]);
    }
    return tokens;
  }

  @Test
  void topKOfOneAndATinyTopPAreGreedy() {
    SplittableRandom random = new SplittableRandom(3);
    Sampler topK = new Sampler(sampling(1.5f, 1f, 1, 1f), 500);
    Sampler topP = new Sampler(sampling(1.5f, 1e-6f, 0, 1f), 500);
    for (int step = 0; step < 100; step++) {
      float[] logits = randomLogits(random, 500);
      assertThat(topK.next(logits, 0, NONE)).isEqualTo(argmax(logits));
      assertThat(topP.next(logits, 0, NONE)).isEqualTo(argmax(logits));
    }
  }

  @Test
  void drawsWithTheSoftmaxProbabilities() {
    double[] p = {0.4, 0.3, 0.15, 0.1, 0.05};
    double[] seen = frequencies(new Sampler(sampling(1f, 1f, 0, 1f), 5), logitsOf(p), NONE, DRAWS);
    for (int i = 0; i < p.length; i++) {
      assertThat(seen[i]).as("token %d", i).isCloseTo(p[i], within(TOLERANCE));
    }
  }

  @Test
  void temperatureSharpensOrFlattens() {
    double[] p = {0.4, 0.3, 0.15, 0.1, 0.05};
    // At temperature T the probabilities become p^(1/T), renormalised.
    for (float temperature : new float[] {0.5f, 2f}) {
      double[] expected = new double[p.length];
      double sum = 0;
      for (int i = 0; i < p.length; i++) {
        expected[i] = Math.pow(p[i], 1 / temperature);
        sum += expected[i];
      }
      Sampler sampler = new Sampler(sampling(temperature, 1f, 0, 1f), 5);
      double[] seen = frequencies(sampler, logitsOf(p), NONE, DRAWS);
      for (int i = 0; i < p.length; i++) {
        assertThat(seen[i]).as("T=%s token %d", temperature, i)
            .isCloseTo(expected[i] / sum, within(TOLERANCE));
      }
    }
  }

  @Test
  void topKAndTopPRenormaliseOverTheKeptTokens() {
    double[] p = {0.15, 0.4, 0.05, 0.3, 0.1};
    double[] topK = frequencies(new Sampler(sampling(1f, 1f, 2, 1f), 5), logitsOf(p), NONE, DRAWS);
    assertThat(topK).containsExactly(
        new double[] {0, 0.4 / 0.7, 0, 0.3 / 0.7, 0}, within(TOLERANCE));
    // top_p 0.6: 0.4 and 0.3 stay (0.4 < 0.6 before the second); 0.15 goes (0.7 before it).
    double[] topP = frequencies(new Sampler(sampling(1f, 0.6f, 0, 1f), 5), logitsOf(p), NONE, DRAWS);
    assertThat(topP).containsExactly(
        new double[] {0, 0.4 / 0.7, 0, 0.3 / 0.7, 0}, within(TOLERANCE));
    // top_p 0.8 keeps a third token: the mass before 0.15 is 0.7 < 0.8.
    double[] wider = frequencies(new Sampler(sampling(1f, 0.8f, 0, 1f), 5), logitsOf(p), NONE, DRAWS);
    assertThat(wider).containsExactly(
        new double[] {0.15 / 0.85, 0.4 / 0.85, 0, 0.3 / 0.85, 0}, within(TOLERANCE));
  }

  @Test
  void topKKeepsTiesAtTheKthValue() {
    float[] logits = {1, 2, 2, 0};
    double[] seen = frequencies(new Sampler(sampling(1f, 1f, 1, 1f), 4), logits, NONE, DRAWS);
    assertThat(seen).containsExactly(new double[] {0, 0.5, 0.5, 0}, within(TOLERANCE));
  }

  @Test
  void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogits() {
    TokenHistory seen = new TokenHistory();
    seen.addAll(new int[] {0, 1, 1, 0});
    Sampler greedy = new Sampler(sampling(0f, 1f, 0, 2.5f), 4);
    // [2, -2, 1, 0.5] -> [0.8, -5, 1, 0.5]
    assertThat(greedy.next(new float[] {2, -2, 1, 0.5f}, 0, seen)).isEqualTo(2);
    assertThat(greedy.next(new float[] {2, -2, 1, 0.5f}, 0, NONE)).isEqualTo(0);
    // [-1, -3] with token 0 seen and penalty 4 -> [-4, -3]
    Sampler negative = new Sampler(sampling(0f, 1f, 0, 4f), 2);
    TokenHistory first = new TokenHistory();
    first.add(0);
    assertThat(negative.next(new float[] {-1, -3}, 0, first)).isEqualTo(1);
    // Sampling sees the penalised logits too: [2, 0] -> [1, 0], p(0) = e / (e + 1).
    TokenHistory zero = new TokenHistory();
    zero.add(0);
    double[] freq = frequencies(new Sampler(sampling(1f, 1f, 0, 2f), 2), new float[] {2, 0}, zero, DRAWS);
    assertThat(freq[0]).isCloseTo(Math.E / (Math.E + 1), within(TOLERANCE));
  }

  @Test
  void nonFiniteLogitsNeitherCrashNorWin() {
    float nan = Float.NaN;
    Sampler greedy = new Sampler(SamplingParams.greedy(), 3);
    Sampler sampler = new Sampler(sampling(1f, 0.9f, 0, 1f), 3);
    assertThat(greedy.next(new float[] {nan, 1, nan}, 0, NONE)).isEqualTo(1);
    assertThat(greedy.next(new float[] {nan, nan, nan}, 0, NONE)).isEqualTo(0);
    for (int i = 0; i < 10; i++) {
      assertThat(sampler.next(new float[] {nan, 1, nan}, 0, NONE)).isEqualTo(1);
      assertThat(sampler.next(new float[] {0, Float.POSITIVE_INFINITY, 1e30f}, 0, NONE))
          .isEqualTo(1);
    }
    float ninf = Float.NEGATIVE_INFINITY;
    assertThat(sampler.next(new float[] {ninf, ninf, ninf}, 0, NONE)).isEqualTo(0);
  }

  @Test
  void aTinyTemperatureDoesNotOverflow() {
    SplittableRandom random = new SplittableRandom(5);
    Sampler sampler = new Sampler(sampling(1e-30f, 1f, 0, 1f), 100);
    for (int step = 0; step < 20; step++) {
      float[] logits = randomLogits(random, 100);
      assertThat(sampler.next(logits, 0, NONE)).isEqualTo(argmax(logits));
    }
  }

  @Test
  void allocatesNothingPerStepOnceWarm() {
    int vocab = 50_000;
    float[] logits = randomLogits(new SplittableRandom(6), vocab);
    TokenHistory seen = new TokenHistory();
    seen.addAll(new int[] {1, 5, 70, 4000, 49_999});
    Sampler sampler = new Sampler(sampling(0.8f, 0.9f, 50, 1.2f), vocab);
    Sampler full = new Sampler(sampling(1f, 0.95f, 0, 1.2f), vocab);
    sampler.next(logits, 0, seen);
    full.next(logits, 0, seen);
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long before = threads.getCurrentThreadAllocatedBytes();
    for (int step = 0; step < 50; step++) {
      sampler.next(logits, 0, seen);
      full.next(logits, 0, seen);
    }
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    // One float row would be 200 KB; allow a little for the measurement itself.
    assertThat(allocated).isLessThan(16 * 1024);
  }

  @Test
  void rejectsAnEmptyVocabulary() {
    assertThatThrownBy(() -> new Sampler(SamplingParams.greedy(), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("vocabSize");
  }
}
