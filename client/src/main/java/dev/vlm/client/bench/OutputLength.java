package dev.vlm.client.bench;

import java.util.random.RandomGenerator;

/**
 * How many tokens a request asks for: a value drawn uniformly from {@code [min, max]}; a fixed
 * length has {@code min == max}.
 *
 * @param min the fewest tokens, at least 1
 * @param max the most tokens, at least {@code min}
 */
public record OutputLength(int min, int max) {
  /**
   * Validates the range.
   *
   * @throws BenchSpecException if {@code min < 1} or {@code max < min}
   */
  public OutputLength {
    if (min < 1) {
      throw new BenchSpecException("output.min must be at least 1, got " + min);
    }
    if (max < min) {
      throw new BenchSpecException(
          "output.max (" + max + ") must be at least output.min (" + min + ")");
    }
  }

  /**
   * A fixed output length.
   *
   * @param tokens the length
   * @return the range {@code [tokens, tokens]}
   * @throws BenchSpecException if {@code tokens < 1}
   */
  public static OutputLength fixed(int tokens) {
    return new OutputLength(tokens, tokens);
  }

  /** Draws a length from the range. */
  int draw(RandomGenerator random) {
    return min == max ? min : random.nextInt(min, max + 1);
  }
}
