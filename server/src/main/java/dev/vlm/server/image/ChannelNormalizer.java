package dev.vlm.server.image;

import java.util.Arrays;
import java.util.Objects;

/**
 * Rescales and normalizes RGB samples into a float32 channels-first tensor, reproducing Hugging
 * Face's numpy arithmetic bit for bit: {@code rescale} multiplies in float64 and casts to float32,
 * {@code normalize} computes {@code (x - mean) / std} in float32 with mean and std cast to
 * float32.
 *
 * <p>A skipped step is expressed by identity parameters, which give the same bits: no rescale is
 * factor 1, no normalization is mean 0 and std 1.
 *
 * <p>Immutable and thread-safe.
 */
public final class ChannelNormalizer {
  private final float[][] lookup;

  /**
   * Creates a normalizer.
   *
   * @param rescaleFactor multiplier applied first, e.g. 1/255
   * @param mean per-channel mean (3 values) subtracted after rescaling
   * @param std per-channel standard deviation (3 values, non-zero) divided by last
   * @throws IllegalArgumentException if mean or std does not have 3 values, or a std is zero or
   *     not finite
   */
  public ChannelNormalizer(double rescaleFactor, double[] mean, double[] std) {
    Objects.requireNonNull(mean, "mean");
    Objects.requireNonNull(std, "std");
    if (mean.length != 3 || std.length != 3) {
      throw new IllegalArgumentException(
          "mean and std need 3 values, got " + Arrays.toString(mean) + " and "
              + Arrays.toString(std));
    }
    lookup = new float[3][256];
    for (int channel = 0; channel < 3; channel++) {
      float m = (float) mean[channel];
      float s = (float) std[channel];
      if (s == 0.0f || !Float.isFinite(s)) {
        throw new IllegalArgumentException("std must be finite and non-zero, got " + std[channel]);
      }
      for (int v = 0; v < 256; v++) {
        float rescaled = (float) (v * rescaleFactor);
        lookup[channel][v] = (rescaled - m) / s;
      }
    }
  }

  /**
   * Returns the normalizer that only converts samples to float (no rescale, no normalization).
   *
   * @return the identity normalizer
   */
  public static ChannelNormalizer identity() {
    return new ChannelNormalizer(1.0, new double[] {0, 0, 0}, new double[] {1, 1, 1});
  }

  /**
   * Normalizes an image into a new channels-first array.
   *
   * @param image the image
   * @return {@code 3 * height * width} floats: all red, then all green, then all blue
   */
  public float[] toChw(RgbImage image) {
    float[] out = new float[3 * image.width() * image.height()];
    writeChw(image, out, 0);
    return out;
  }

  /**
   * Normalizes an image into part of an existing array, e.g. one image of a batch.
   *
   * @param image the image
   * @param out destination
   * @param offset index in {@code out} where the red plane starts
   * @throws IndexOutOfBoundsException if {@code out} has no room for {@code 3 * height * width}
   *     floats at {@code offset}
   */
  public void writeChw(RgbImage image, float[] out, int offset) {
    int plane = image.width() * image.height();
    Objects.checkFromIndexSize(offset, 3 * plane, out.length);
    byte[] rgb = image.rgb();
    float[] red = lookup[0];
    float[] green = lookup[1];
    float[] blue = lookup[2];
    for (int i = 0, p = 0; i < plane; i++, p += 3) {
      out[offset + i] = red[rgb[p] & 0xff];
      out[offset + plane + i] = green[rgb[p + 1] & 0xff];
      out[offset + 2 * plane + i] = blue[rgb[p + 2] & 0xff];
    }
  }
}
