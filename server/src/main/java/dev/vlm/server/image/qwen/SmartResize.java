package dev.vlm.server.image.qwen;

import dev.vlm.server.image.ImageException;
import dev.vlm.server.image.ImageSize;

/**
 * Qwen2-VL's choice of input size, as Python transformers' {@code smart_resize}: both sides
 * become multiples of {@code factor} (patch size times merge size), near the original aspect
 * ratio, with the area inside {@code [minPixels, maxPixels]}.
 *
 * <p>Follows Python where transformers.js differs: a side is rounded to the nearest multiple with
 * halves going to the even multiple ({@code round}, not {@code Math.round}: 20 at factor 8 gives
 * 16, not 24), and a side below the factor is not scaled up first.
 */
public final class SmartResize {
  /** Python's limit on {@code max(h, w) / min(h, w)}. */
  static final double MAX_ASPECT_RATIO = 200;

  private SmartResize() {}

  /**
   * The size an image of {@code height x width} is resized to.
   *
   * @param height rows, positive
   * @param width columns, positive
   * @param factor the multiple both sides must have, positive
   * @param minPixels least area
   * @param maxPixels largest area, at least {@code factor * factor}
   * @return the target size
   * @throws ImageException UNSUPPORTED if the aspect ratio exceeds 200, or the image is so small
   *     that a side rounds to nothing
   * @throws IllegalArgumentException if a side or the factor is not positive
   */
  public static ImageSize target(int height, int width, int factor, int minPixels, int maxPixels) {
    if (height <= 0 || width <= 0 || factor <= 0) {
      throw new IllegalArgumentException(
          "smart_resize needs positive sides and factor, got " + height + "x" + width + " at factor " + factor);
    }
    double ratio = (double) Math.max(height, width) / Math.min(height, width);
    if (ratio > MAX_ASPECT_RATIO) {
      throw new ImageException(ImageException.Reason.UNSUPPORTED,
          "image aspect ratio must be at most " + (int) MAX_ASPECT_RATIO + ", got " + height + "x" + width);
    }
    // Math.rint rounds halves to even, as Python's round does.
    long h = (long) Math.rint((double) height / factor) * factor;
    long w = (long) Math.rint((double) width / factor) * factor;
    if (h * w > maxPixels) {
      double beta = Math.sqrt((double) height * width / maxPixels);
      h = Math.max(factor, (long) Math.floor(height / beta / factor) * factor);
      w = Math.max(factor, (long) Math.floor(width / beta / factor) * factor);
    } else if (h * w < minPixels) {
      double beta = Math.sqrt((double) minPixels / ((double) height * width));
      h = (long) Math.ceil(height * beta / factor) * factor;
      w = (long) Math.ceil(width * beta / factor) * factor;
    }
    if (h <= 0 || w <= 0) {
      throw new ImageException(ImageException.Reason.UNSUPPORTED,
          "image " + height + "x" + width + " is too small for patches of " + factor + " pixels");
    }
    return new ImageSize((int) w, (int) h);
  }
}
