package dev.vlm.server.model;

/** Element counts of tensor shapes, for the records that pair values with a shape. */
final class TensorShape {
  private TensorShape() {}

  /** How many values a tensor of {@code shape} holds. */
  static long elements(long[] shape) {
    long size = 1;
    for (long d : shape) {
      size *= d;
    }
    return size;
  }

  /**
   * @throws IllegalArgumentException if {@code shape} does not hold exactly {@code values} values
   */
  static void checkHolds(long[] shape, int values) {
    long size = elements(shape);
    if (size != values) {
      throw new IllegalArgumentException("shape holds " + size + " values but " + values + " were given");
    }
  }
}
