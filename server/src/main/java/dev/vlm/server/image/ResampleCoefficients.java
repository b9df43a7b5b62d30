package dev.vlm.server.image;

/**
 * Fixed-point convolution weights for resampling one axis, computed exactly as PIL's
 * {@code precompute_coeffs} and {@code normalize_coeffs_8bpc} do: the kernel is stretched by the
 * downscale factor, each output pixel's window is rounded to whole source pixels and clipped to
 * the image, weights are normalised to sum 1 in double precision and then rounded to a number of
 * fractional bits the {@link FixedPoint} rule chooses (PIL: 22).
 */
final class ResampleCoefficients {
  /**
   * The most weights one axis may need (output size times kernel size). A large downscale
   * stretches the kernel: 10,000,000 pixels down to 32 needs over a million weights per output
   * pixel. 2^24 ints (64 MiB) is far beyond any real preprocessing.
   */
  static final long MAX_WEIGHTS = 1L << 24;

  private final int kernelSize;
  private final int bits;
  private final int[] first;
  private final int[] count;
  private final int[] weights;

  private ResampleCoefficients(int kernelSize, int bits, int[] first, int[] count, int[] weights) {
    this.kernelSize = kernelSize;
    this.bits = bits;
    this.first = first;
    this.count = count;
    this.weights = weights;
  }

  static ResampleCoefficients compute(int inSize, int outSize, ResampleFilter filter, FixedPoint rule) {
    double scale = (double) inSize / outSize;
    double filterScale = Math.max(scale, 1.0);
    double support = filter.support() * filterScale;
    long kernelLength = (long) Math.ceil(support) * 2 + 1;
    if (kernelLength * outSize > MAX_WEIGHTS) {
      throw new ImageException(ImageException.Reason.TOO_MANY_PIXELS,
          "resampling " + inSize + " pixels to " + outSize + " would need " + kernelLength * outSize
              + " weights, more than the " + MAX_WEIGHTS + " allowed; send an image with a less extreme aspect ratio");
    }
    int kernelSize = (int) kernelLength;
    int[] first = new int[outSize];
    int[] count = new int[outSize];
    double[] normalized = new double[outSize * kernelSize];
    double[] kernel = new double[kernelSize];
    double largest = 0.0;
    double inverseScale = 1.0 / filterScale;
    for (int out = 0; out < outSize; out++) {
      double center = (out + 0.5) * scale;
      // (int) truncates toward zero like C's cast; negative values are clamped right after.
      int min = Math.max((int) (center - support + 0.5), 0);
      int max = Math.min((int) (center + support + 0.5), inSize) - min;
      double sum = 0.0;
      for (int i = 0; i < max; i++) {
        double w = filter.weight((i + min - center + 0.5) * inverseScale);
        kernel[i] = w;
        sum += w;
      }
      for (int i = 0; i < max; i++) {
        double w = sum != 0.0 ? kernel[i] / sum : kernel[i];
        normalized[out * kernelSize + i] = w;
        largest = Math.max(largest, w);
      }
      first[out] = min;
      count[out] = max;
    }
    int bits = rule.fractionalBits(largest);
    int[] weights = new int[normalized.length];
    for (int i = 0; i < normalized.length; i++) {
      weights[i] = toFixedPoint(normalized[i], bits);
    }
    return new ResampleCoefficients(kernelSize, bits, first, count, weights);
  }

  private static int toFixedPoint(double weight, int bits) {
    double scaled = weight * (1 << bits);
    return weight < 0 ? (int) (-0.5 + scaled) : (int) (0.5 + scaled);
  }

  /** Fractional bits of the weights. */
  int bits() {
    return bits;
  }

  /** First source index read for output index {@code out}. */
  int first(int out) {
    return first[out];
  }

  /** Number of source indices read for output index {@code out}. */
  int count(int out) {
    return count[out];
  }

  /** Weight of source index {@code first(out) + i} for output index {@code out}. */
  int weight(int out, int i) {
    return weights[out * kernelSize + i];
  }

  /** One past the last source index any output reads. */
  int end() {
    int last = first.length - 1;
    return first[last] + count[last];
  }
}
