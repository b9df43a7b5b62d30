package dev.vlm.server.image;

/**
 * PIL's resampling filters, with the integer codes PIL (and {@code preprocessor_config.json}'s
 * {@code resample} field) uses for them.
 *
 * <p>Each convolution filter carries PIL's kernel and its support radius at scale 1; when
 * downscaling, {@link Resizer} stretches the kernel by the scale factor (antialiasing).
 */
public enum ResampleFilter {
  /** PIL code 0. Picks the source pixel under each output pixel's centre. */
  NEAREST(0, 0.0),
  /** PIL code 1 ({@code LANCZOS}, formerly {@code ANTIALIAS}): sinc windowed by sinc, a = 3. */
  LANCZOS(1, 3.0),
  /** PIL code 2: triangle kernel. */
  BILINEAR(2, 1.0),
  /** PIL code 3: cubic convolution with a = -0.5. */
  BICUBIC(3, 2.0),
  /** PIL code 4: box kernel (area average when downscaling). */
  BOX(4, 0.5),
  /** PIL code 5: sinc windowed by a Hamming window. */
  HAMMING(5, 1.0);

  private final int pilCode;
  private final double support;

  ResampleFilter(int pilCode, double support) {
    this.pilCode = pilCode;
    this.support = support;
  }

  /**
   * Returns PIL's integer code for this filter.
   *
   * @return 0..5
   */
  public int pilCode() {
    return pilCode;
  }

  /**
   * Returns the filter with the given PIL code.
   *
   * @param code PIL's integer code, 0..5
   * @return the filter
   * @throws IllegalArgumentException if no filter has that code
   */
  public static ResampleFilter fromPilCode(int code) {
    for (ResampleFilter filter : values()) {
      if (filter.pilCode == code) {
        return filter;
      }
    }
    throw new IllegalArgumentException(
        "unknown PIL resample code " + code + " (expected 0 nearest, 1 lanczos, 2 bilinear,"
            + " 3 bicubic, 4 box, 5 hamming)");
  }

  /** Kernel radius at scale 1, in source pixels. */
  double support() {
    return support;
  }

  /**
   * The kernel, written as PIL's Resample.c writes it so that every coefficient rounds the same
   * way (including Hamming's single-precision 0.54f/0.46f constants).
   */
  double weight(double x) {
    return switch (this) {
      case NEAREST -> throw new IllegalStateException("nearest is not a convolution filter");
      case BOX -> x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
      case BILINEAR -> {
        double a = Math.abs(x);
        yield a < 1.0 ? 1.0 - a : 0.0;
      }
      case HAMMING -> {
        double a = Math.abs(x);
        if (a == 0.0) {
          yield 1.0;
        }
        if (a >= 1.0) {
          yield 0.0;
        }
        a = a * Math.PI;
        yield Math.sin(a) / a * (0.54f + 0.46f * Math.cos(a));
      }
      case BICUBIC -> {
        double a = -0.5;
        double v = Math.abs(x);
        if (v < 1.0) {
          yield ((a + 2.0) * v - (a + 3.0)) * v * v + 1;
        }
        if (v < 2.0) {
          yield (((v - 5) * v + 8) * v - 4) * a;
        }
        yield 0.0;
      }
      case LANCZOS -> -3.0 <= x && x < 3.0 ? sinc(x) * sinc(x / 3) : 0.0;
    };
  }

  private static double sinc(double x) {
    if (x == 0.0) {
      return 1.0;
    }
    double v = x * Math.PI;
    return Math.sin(v) / v;
  }
}
