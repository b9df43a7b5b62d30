package dev.vlm.server.model;

import java.util.Objects;

/**
 * A boolean tensor for a vision encoder input other than the pixels, such as a pixel attention
 * mask.
 *
 * @param values the values, row-major in {@code shape}
 * @param shape the tensor shape, batch dimension included
 */
public record BooleanTensor(boolean[] values, long[] shape) {
  /**
   * Checks that the shape fits the values.
   *
   * @throws IllegalArgumentException if the product of {@code shape} is not {@code values.length}
   */
  public BooleanTensor {
    Objects.requireNonNull(values, "values");
    TensorShape.checkHolds(shape, values.length);
  }

  /**
   * A tensor of the given shape that is true everywhere.
   *
   * @param shape the tensor shape
   * @return the tensor
   */
  public static BooleanTensor allTrue(long... shape) {
    boolean[] values = new boolean[Math.toIntExact(TensorShape.elements(shape))];
    java.util.Arrays.fill(values, true);
    return new BooleanTensor(values, shape);
  }
}
