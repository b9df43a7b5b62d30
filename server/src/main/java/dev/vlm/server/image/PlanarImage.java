package dev.vlm.server.image;

import java.util.Objects;

/**
 * A normalized RGB image as float32 planes (channels first: all red, all green, all blue), the
 * form resampling and tiling work on after rescaling and normalization.
 *
 * <p>Immutable by convention: nobody writes to {@link #chw()} after construction.
 *
 * @param width pixels per row, positive
 * @param height rows, positive
 * @param chw {@code 3 * height * width} values
 */
public record PlanarImage(int width, int height, float[] chw) {
  /**
   * Checks the sizes.
   *
   * @throws IllegalArgumentException if a side is not positive or {@code chw} has the wrong length
   */
  public PlanarImage {
    Objects.requireNonNull(chw, "chw");
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException("image sides must be positive, got " + width + "x" + height);
    }
    if ((long) width * height * 3 != chw.length) {
      throw new IllegalArgumentException(
          "a " + width + "x" + height + " image needs " + (3L * width * height) + " values, got " + chw.length);
    }
  }

  /**
   * Copies a rectangle out of the image.
   *
   * @param left first column
   * @param top first row
   * @param cropWidth columns to copy
   * @param cropHeight rows to copy
   * @return the rectangle as a new image
   * @throws IllegalArgumentException if the rectangle is empty or reaches outside the image
   */
  public PlanarImage crop(int left, int top, int cropWidth, int cropHeight) {
    if (cropWidth <= 0 || cropHeight <= 0 || left < 0 || top < 0
        || left + cropWidth > width || top + cropHeight > height) {
      throw new IllegalArgumentException(
          "crop " + cropWidth + "x" + cropHeight + " at (" + left + ", " + top + ") does not fit a "
              + width + "x" + height + " image");
    }
    float[] out = new float[3 * cropWidth * cropHeight];
    for (int c = 0; c < 3; c++) {
      for (int y = 0; y < cropHeight; y++) {
        System.arraycopy(
            chw, (c * height + top + y) * width + left, out, (c * cropHeight + y) * cropWidth, cropWidth);
      }
    }
    return new PlanarImage(cropWidth, cropHeight, out);
  }
}
