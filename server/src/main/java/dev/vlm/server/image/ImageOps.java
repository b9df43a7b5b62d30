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
