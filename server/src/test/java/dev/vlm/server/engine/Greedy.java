package dev.vlm.server.engine;

/** Greedy choice over a logits row, for tests and benchmarks that drive the decoders by hand. */
public final class Greedy {
  private Greedy() {}

  /** The index of the largest logit; ties go to the lowest index, as with {@code torch.argmax}. */
  public static int argmax(float[] logits) {
    int best = 0;
    for (int i = 1; i < logits.length; i++) {
      if (logits[i] > logits[best]) {
        best = i;
      }
    }
    return best;
  }
}
