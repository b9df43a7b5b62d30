package dev.vlm.server.image;

import java.util.Objects;

/** Geometric operations on {@link RgbImage}s with Hugging Face's conventions. Stateless. */
public final class ImageOps {
  private ImageOps() {}

  /**
   * Crops the centre like Hugging Face's {@code center_crop}: the top-left offset is
   * {@code floor((size - cropSize) / 2)} per axis (so an odd surplus leaves the extra pixel on the
   * bottom/right), and where the crop is larger than the image, the image is centred on black
   * with the extra padding row/column on the top/left ({@code ceil} of half the difference).
   *
   * @param image the image
   * @param cropWidth output width, positive
   * @param cropHeight output height, positive
   * @return the cropped (and possibly padded) image of exactly {@code cropWidth x cropHeight}
   * @throws IllegalArgumentException if a crop side is not positive
   */
  public static RgbImage centerCrop(RgbImage image, int cropWidth, int cropHeight) {
    Objects.requireNonNull(image, "image");
    // floor((h - crop) / 2) also yields minus the top padding, ceil((crop - h) / 2), when negative.
    int left = Math.floorDiv(image.width() - cropWidth, 2);
    int top = Math.floorDiv(image.height() - cropHeight, 2);
    return crop(image, left, top, cropWidth, cropHeight);
  }

  /**
   * Turns an image upright as PIL's {@code ImageOps.exif_transpose} does by its EXIF orientation:
   * 2 mirrors left to right, 3 rotates by 180 degrees, 4 mirrors top to bottom, 5 transposes, 6
   * rotates 90 degrees clockwise, 7 transverses, 8 rotates 90 degrees counter-clockwise.
   *
   * @param image the image as stored
   * @return the upright image (orientation 1), or {@code image} itself when it already is
   */
  public static RgbImage exifTranspose(RgbImage image) {
    Objects.requireNonNull(image, "image");
    int orientation = image.exifOrientation();
    if (orientation == 1) {
      return image;
    }
    int w = image.width();
    int h = image.height();
    boolean swapped = orientation >= 5;
    int outWidth = swapped ? h : w;
    int outHeight = swapped ? w : h;
    byte[] in = image.rgb();
    byte[] out = new byte[in.length];
    int o = 0;
    for (int y = 0; y < outHeight; y++) {
      for (int x = 0; x < outWidth; x++) {
        // The stored pixel that lands at (x, y) of the upright image.
        int sx;
        int sy;
        switch (orientation) {
          case 2 -> { sx = w - 1 - x; sy = y; }
          case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }
          case 4 -> { sx = x; sy = h - 1 - y; }
          case 5 -> { sx = y; sy = x; }
          case 6 -> { sx = y; sy = h - 1 - x; }
          case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }
          default -> { sx = w - 1 - y; sy = x; } // 8
        }
        int s = (sy * w + sx) * 3;
        out[o++] = in[s];
        out[o++] = in[s + 1];
        out[o++] = in[s + 2];
      }
    }
    return new RgbImage(outWidth, outHeight, out);
  }

  /**
   * Cuts out a rectangle; parts of it outside the image are black.
   *
   * @param image the image
   * @param left x of the rectangle's first column in image coordinates, may be negative
   * @param top y of the rectangle's first row in image coordinates, may be negative
   * @param width rectangle width, positive
   * @param height rectangle height, positive
   * @return a new image of {@code width x height}, or {@code image} itself when the rectangle is
   *     exactly the image
   * @throws IllegalArgumentException if a side is not positive
   */
  public static RgbImage crop(RgbImage image, int left, int top, int width, int height) {
    Objects.requireNonNull(image, "image");
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException(
          "crop must have positive sides, got " + width + "x" + height);
    }
    if (left == 0 && top == 0 && width == image.width() && height == image.height()) {
      return image;
    }
    byte[] out = new byte[Math.multiplyExact(Math.multiplyExact(width, height), 3)];
    int fromX = Math.max(left, 0);
    int toX = Math.min(left + width, image.width());
    if (fromX < toX) {
      int fromY = Math.max(top, 0);
      int toY = Math.min(top + height, image.height());
      int rowBytes = (toX - fromX) * 3;
      for (int y = fromY; y < toY; y++) {
        System.arraycopy(
            image.rgb(),
            (y * image.width() + fromX) * 3,
            out,
            ((y - top) * width + (fromX - left)) * 3,
            rowBytes);
      }
    }
    return new RgbImage(width, height, out);
  }
}
