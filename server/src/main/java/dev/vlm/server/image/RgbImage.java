package dev.vlm.server.image;

import java.util.Arrays;
import java.util.Objects;

/**
 * An 8-bit RGB image, pixels interleaved row-major (r,g,b,r,g,b,...), as stored in its file, with
 * the file's EXIF orientation. Most processors use the stored pixels, as Hugging Face's image
 * processors do; one that turns images upright first (Idefics2's processor, through
 * {@code load_image}) applies {@link ImageOps#exifTranspose}. Images made from other images
 * (crops, resizes) are upright.
 *
 * <p>Immutable by convention: nobody writes to {@link #rgb()} after construction, so instances
 * may be shared between threads. Equality compares pixels and orientation.
 *
 * @param width pixels per row, positive
 * @param height rows, positive
 * @param rgb {@code width * height * 3} samples
 * @param exifOrientation the EXIF Orientation value, 1 (upright) to 8
 */
public record RgbImage(int width, int height, byte[] rgb, int exifOrientation) {

  /**
   * Checks the sizes.
   *
   * @throws IllegalArgumentException if a side is not positive, {@code rgb} does not hold
   *     exactly {@code width * height * 3} samples, or the orientation is not 1..8
   */
  public RgbImage {
    if (exifOrientation < 1 || exifOrientation > 8) {
      throw new IllegalArgumentException("EXIF orientation must be 1..8, got " + exifOrientation);
    }
    Objects.requireNonNull(rgb, "rgb");
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException("image sides must be positive, got " + width + "x" + height);
    }
    if ((long) width * height * 3 != rgb.length) {
      throw new IllegalArgumentException(
          "a " + width + "x" + height + " RGB image needs " + (long) width * height * 3
              + " samples, got " + rgb.length);
    }
  }

  /**
   * An upright image.
   *
   * @param width pixels per row, positive
   * @param height rows, positive
   * @param rgb {@code width * height * 3} samples
   * @throws IllegalArgumentException as the canonical constructor
   */
  public RgbImage(int width, int height, byte[] rgb) {
    this(width, height, rgb, 1);
  }

  /**
   * Returns one sample.
   *
   * @param x column, 0-based
   * @param y row, 0-based
   * @param channel 0 red, 1 green, 2 blue
   * @return the sample as 0..255
   * @throws IndexOutOfBoundsException if a coordinate is outside the image
   */
  public int sample(int x, int y, int channel) {
    Objects.checkIndex(x, width);
    Objects.checkIndex(y, height);
    Objects.checkIndex(channel, 3);
    return rgb[(y * width + x) * 3 + channel] & 0xff;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof RgbImage that
        && width == that.width
        && height == that.height
        && exifOrientation == that.exifOrientation
        && Arrays.equals(rgb, that.rgb);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * (31 * width + height) + exifOrientation) + Arrays.hashCode(rgb);
  }

  @Override
  public String toString() {
    return "RgbImage[" + width + "x" + height + (exifOrientation != 1 ? ", EXIF orientation " + exifOrientation : "") + "]";
  }
}
