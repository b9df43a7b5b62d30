package dev.vlm.server.model;

import java.util.Objects;

/**
 * An int64 tensor for a vision encoder input other than the pixels, such as an image grid
 * ({@code image_grid_thw}) or a patch mask.
 *
 * @param values the values, row-major in {@code shape}
 * @param shape the tensor shape
 */
public record LongTensor(long[] values, long[] shape) {
  /**
   * @throws IllegalArgumentException if the product of {@code shape} is not {@code values.length}
   */
  public LongTensor {
    Objects.requireNonNull(values, "values");
    TensorShape.checkHolds(shape, values.length);
  }
}
