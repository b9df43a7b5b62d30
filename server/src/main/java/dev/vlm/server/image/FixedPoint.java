package dev.vlm.server.image;

/**
 * How a {@link Resizer} rounds its convolution weights to integers. Both rules compute the same
 * double-precision weights (PIL's kernel, stretched by the downscale factor, normalised to sum
 * 1) and accumulate 8-bit samples times integer weights with half an output step added, shifting
 * right and clamping to 0..255 after each pass; they differ only in the number of fractional bits,
 * and so round some pixels one level apart.
 */
public enum FixedPoint {
  /** Pillow's 8-bit resampling: always 22 fractional bits in 32-bit integers. */
  PIL,
  /**
   * torch's antialiased {@code interpolate} on uint8 tensors on the CPU (what torchvision's
   * {@code resize} runs for 8-bit images, and so Hugging Face's torchvision image processors):
   * weights are 16-bit integers with, per axis, the most fractional bits (at most 22) for which
   * the axis's largest weight still fits in 15 bits.
   */
  TORCH_INT16;

  /** Pillow's PRECISION_BITS for 8-bit images: 32 - 8 - 2. */
  static final int PIL_BITS = 22;

  /**
   * The fractional bits for one axis whose largest weight is {@code largestWeight}.
   *
   * @param largestWeight the largest normalised weight of the axis, in (0, 1]
   */
  int fractionalBits(double largestWeight) {
    if (this == PIL) {
      return PIL_BITS;
    }
    // Keep adding a bit while the largest weight, rounded at one more bit, still fits in int16.
    int bits = 0;
    while (bits < PIL_BITS && (int) (0.5 + largestWeight * (1 << (bits + 1))) < (1 << 15)) {
      bits++;
    }
    return bits;
  }
}
