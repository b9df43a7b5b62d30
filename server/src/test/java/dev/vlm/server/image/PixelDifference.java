package dev.vlm.server.image;

/** Maximum and mean absolute differences between two equally long sample arrays. */
record PixelDifference(double max, double sum, long count, long exact) {

  static final PixelDifference NONE = new PixelDifference(0, 0, 0, 0);

  static PixelDifference of(byte[] actual, byte[] expected) {
    if (actual.length != expected.length) {
      throw new AssertionError(
          "lengths differ: " + actual.length + " vs expected " + expected.length);
    }
    double max = 0;
    double sum = 0;
    long exact = 0;
    for (int i = 0; i < actual.length; i++) {
      int d = Math.abs((actual[i] & 0xff) - (expected[i] & 0xff));
      max = Math.max(max, d);
      sum += d;
      exact += d == 0 ? 1 : 0;
    }
    return new PixelDifference(max, sum, actual.length, exact);
  }

  static PixelDifference of(float[] actual, float[] expected) {
    if (actual.length != expected.length) {
      throw new AssertionError(
          "lengths differ: " + actual.length + " vs expected " + expected.length);
    }
    double max = 0;
    double sum = 0;
    long exact = 0;
    for (int i = 0; i < actual.length; i++) {
      double d = Math.abs((double) actual[i] - expected[i]);
      max = Math.max(max, d);
      sum += d;
      exact += Float.compare(actual[i], expected[i]) == 0 ? 1 : 0;
    }
    return new PixelDifference(max, sum, actual.length, exact);
  }

  PixelDifference plus(PixelDifference other) {
    return new PixelDifference(
        Math.max(max, other.max), sum + other.sum, count + other.count, exact + other.exact);
  }

  double mean() {
    return count == 0 ? 0 : sum / count;
  }

  @Override
  public String toString() {
    return String.format(
        "max %.3g, mean %.3g, %d of %d samples identical", max, mean(), exact, count);
  }
}
