package dev.vlm.server.sampling;

import java.util.Arrays;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Picks a request's next token from one row of logits, in the order Hugging Face transformers
 * applies its processors: repetition penalty, then greedy argmax if the temperature is 0, else
 * temperature, top-k, top-p, softmax and a draw from the request's seeded generator.
 *
 * <p>Greedy ties go to the lowest id, like {@code torch.argmax}. Logits are never modified. NaN
 * logits are never picked; with an infinite logit the first +inf token is picked, since no
 * distribution exists. With the same seed and the same logits the same tokens come out.
 *
 * <p>Per step it allocates nothing in proportion to the vocabulary: it reuses one float buffer
 * the size of a logits row, plus a heap buffer for the top-p candidates that grows only to the largest candidate count seen.
 *
 * <p>Not thread-safe: one instance per request.
 */
public final class Sampler {
  private final SamplingParams params;
  private final int vocabSize;
  private final SplittableRandom random;
  private float[] work = new float[0];
  private float[] topKHeap = new float[0];
  private long[] candidates = new long[0];

  /**
   * @param params the request's resolved settings
   * @param vocabSize the width of a logits row (may exceed the tokenizer's vocabulary)
   * @throws IllegalArgumentException if vocabSize is not positive
   */
  public Sampler(SamplingParams params, int vocabSize) {
    this.params = Objects.requireNonNull(params, "params");
    if (vocabSize <= 0) {
      throw new IllegalArgumentException("vocabSize must be > 0, got " + vocabSize);
    }
    this.vocabSize = vocabSize;
    this.random =
        params.seed().isPresent()
            ? new SplittableRandom(params.seed().getAsLong())
            : new SplittableRandom();
  }

  /**
   * Picks the next token.
   *
   * @param logits an array holding the row {@code logits[offset, offset + vocabSize)}
   * @param offset where the row starts
   * @param seen the tokens of the sequence so far, for the repetition penalty
   * @return the token id, in [0, vocabSize)
   * @throws IndexOutOfBoundsException if the row does not fit in the array
   */
  public int next(float[] logits, int offset, TokenHistory seen) {
    Objects.checkFromIndexSize(offset, vocabSize, logits.length);
    Objects.requireNonNull(seen, "seen");
    if (params.isGreedy()) {
      return argmax(logits, offset, seen);
    }
    float[] scores = penalizedCopy(logits, offset, seen);
    float max = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < vocabSize; i++) {
      max = Math.max(max, scores[i]);
    }
    if (max == Float.POSITIVE_INFINITY || max == Float.NEGATIVE_INFINITY) {
      return firstIndexOf(scores, max);
    }
    float threshold = topKThreshold(scores);
    double total = toWeights(scores, max, threshold);
    if (params.topP() < 1f) {
      return drawFromNucleus(scores, total);
    }
    return draw(scores, total);
  }

  // HF RepetitionPenaltyLogitsProcessor: a seen token's logit is divided by the penalty when
  // positive and multiplied by it when negative, so a penalty > 1 always makes it less likely.
  private float penalize(float logit) {
    float penalty = params.repetitionPenalty();
    return logit > 0f ? logit / penalty : logit * penalty;
  }

  private int argmax(float[] logits, int offset, TokenHistory seen) {
    boolean penalized = params.hasRepetitionPenalty();
    int best = -1;
    float bestValue = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < vocabSize; i++) {
      float value = logits[offset + i];
      if (penalized && seen.contains(i)) {
        value = penalize(value);
      }
      // Strictly greater: the first of equal maxima wins. NaN never compares greater.
      if (value > bestValue || (best < 0 && value == bestValue)) {
        best = i;
        bestValue = value;
      }
    }
    return Math.max(best, 0);
  }

  private float[] penalizedCopy(float[] logits, int offset, TokenHistory seen) {
    if (work.length < vocabSize) {
      work = new float[vocabSize];
    }
    float[] scores = work;
    System.arraycopy(logits, offset, scores, 0, vocabSize);
    if (params.hasRepetitionPenalty()) {
      for (int id = seen.nextId(0); id >= 0 && id < vocabSize; id = seen.nextId(id + 1)) {
        scores[id] = penalize(scores[id]);
      }
    }
    for (int i = 0; i < vocabSize; i++) {
      if (Float.isNaN(scores[i])) {
        scores[i] = Float.NEGATIVE_INFINITY;
      }
    }
    return scores;
  }

  private int firstIndexOf(float[] scores, float value) {
    for (int i = 0; i < vocabSize; i++) {
      if (scores[i] == value) {
        return i;
      }
    }
    return 0;
  }

  /**
   * The k-th largest score (HF TopKLogitsWarper keeps every score >= it), or -inf when top-k is
   * off. A min-heap of the k best seen so far: O(V log k), no allocation after the first call.
   */
  private float topKThreshold(float[] scores) {
    int k = params.topK();
    if (k == 0 || k >= vocabSize) {
      return Float.NEGATIVE_INFINITY;
    }
    if (topKHeap.length < k) {
      topKHeap = new float[k];
    }
    float[] heap = topKHeap;
    System.arraycopy(scores, 0, heap, 0, k);
    for (int i = k / 2 - 1; i >= 0; i--) {
      siftDown(heap, i, k);
    }
    for (int i = k; i < vocabSize; i++) {
      if (scores[i] > heap[0]) {
        heap[0] = scores[i];
        siftDown(heap, 0, k);
      }
    }
    return heap[0];
  }

  private static void siftDown(float[] heap, int index, int size) {
    float value = heap[index];
    while (true) {
      int child = 2 * index + 1;
      if (child >= size) {
        break;
      }
      if (child + 1 < size && heap[child + 1] < heap[child]) {
        child++;
      }
      if (heap[child] >= value) {
        break;
      }
      heap[index] = heap[child];
      index = child;
    }
    heap[index] = value;
  }

  /**
   * Turns scores in place into unnormalised softmax weights exp((s - max) / T), zero below the
   * top-k threshold. Shifting by the max before dividing keeps tiny temperatures from
   * overflowing. Returns the sum.
   */
  private double toWeights(float[] scores, float max, float threshold) {
    double temperature = params.temperature();
    double total = 0;
    for (int i = 0; i < vocabSize; i++) {
      float s = scores[i];
      float weight = s >= threshold ? (float) Math.exp((s - (double) max) / temperature) : 0f;
      scores[i] = weight;
      total += weight;
    }
    return total;
  }

  private int draw(float[] weights, double total) {
    double u = random.nextDouble() * total;
    int last = 0;
    for (int i = 0; i < vocabSize; i++) {
      if (weights[i] > 0f) {
        u -= weights[i];
        last = i;
        if (u < 0) {
          return i;
        }
      }
    }
    return last; // rounding left u a hair above zero: the last positive weight
  }

  /**
   * HF TopPLogitsWarper: walking the tokens from most to least likely, keep a token while the
   * mass before it is below top_p. Only candidates with weight >= (1 - top_p) * total / n can be
   * kept (the n positive tokens below that bound weigh less than 1 - top_p together), and only as
   * many as the walk reaches are ordered: a max-heap, popped until the mass reaches top_p.
   */
  private int drawFromNucleus(float[] weights, double total) {
    int positive = 0;
    for (int i = 0; i < vocabSize; i++) {
      if (weights[i] > 0f) {
        positive++;
      }
    }
    double bound = (1.0 - params.topP()) * total / positive;
    int n = 0;
    for (int i = 0; i < vocabSize; i++) {
      if (weights[i] > 0f && weights[i] >= bound) {
        if (n == candidates.length) {
          candidates = Arrays.copyOf(candidates, Math.max(16, n * 2));
        }
        // Positive floats order like their bit patterns: order (weight, id) as one long.
        candidates[n++] = ((long) Float.floatToIntBits(weights[i]) << 32) | i;
      }
    }
    long[] heap = candidates;
    for (int i = n / 2 - 1; i >= 0; i--) {
      siftDownMax(heap, i, n);
    }
    // Pop the most likely to the back: kept tokens end up in heap[end, n), most likely last.
    double cut = params.topP() * total;
    double keptMass = 0;
    int end = n;
    while (end > 0 && keptMass < cut) {
      long top = heap[0];
      heap[0] = heap[--end];
      heap[end] = top;
      siftDownMax(heap, 0, end);
      keptMass += weights[(int) top];
    }
    double u = random.nextDouble() * keptMass;
    for (int j = n - 1; j > end; j--) {
      u -= weights[(int) heap[j]];
      if (u < 0) {
        return (int) heap[j];
      }
    }
    return (int) heap[end];
  }

  private static void siftDownMax(long[] heap, int index, int size) {
    long value = heap[index];
    while (true) {
      int child = 2 * index + 1;
      if (child >= size) {
        break;
      }
      if (child + 1 < size && heap[child + 1] > heap[child]) {
        child++;
      }
      if (heap[child] <= value) {
        break;
      }
      heap[index] = heap[child];
      index = child;
    }
    heap[index] = value;
  }
}
