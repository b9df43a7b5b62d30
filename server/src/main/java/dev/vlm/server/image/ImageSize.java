package dev.vlm.server.image;

/**
 * A width and height in pixels, with the output-size rules Hugging Face image processors share.
 *
 * @param width pixels per row, positive
 * @param height rows, positive
 */
public record ImageSize(int width, int height) {

  /**
   * Checks the sides.
   *
   * @throws IllegalArgumentException if a side is not positive
   */
  public ImageSize {
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException("image sides must be positive, got " + width + "x" + height);
    }
  }

  /**
   * The size that scales the shorter side to {@code shortestEdge} and keeps the aspect ratio, as
   * Hugging Face's {@code get_resize_output_image_size(size=int, default_to_square=False)}: the
   * longer side is {@code int(shortestEdge * long / short)}, i.e. truncated, and a square stays
   * square.
   *
   * @param width input width, positive
   * @param height input height, positive
   * @param shortestEdge target length of the shorter side, positive
   * @return the output size
   * @throws IllegalArgumentException if an argument is not positive
   * @throws ImageException TOO_MANY_PIXELS if the longer side would exceed {@code
   *     Integer.MAX_VALUE} (the image's aspect ratio is the caller's to fix)
   */
  public static ImageSize shortestEdge(int width, int height, int shortestEdge) {
    if (width <= 0 || height <= 0 || shortestEdge <= 0) {
      throw new IllegalArgumentException(
          "sizes must be positive, got " + width + "x" + height + " to shortest edge "
              + shortestEdge);
    }
    int shortSide = Math.min(width, height);
    int longSide = Math.max(width, height);
    // Python evaluates size * long / short as one correctly rounded division, as does this.
    double scaledLong = (double) ((long) shortestEdge * longSide) / shortSide;
    if (scaledLong >= Integer.MAX_VALUE) {
      throw new ImageException(ImageException.Reason.TOO_MANY_PIXELS,
          "resizing " + width + "x" + height + " to shortest edge " + shortestEdge
              + " overflows: its aspect ratio is too extreme");
    }
    int newLong = (int) scaledLong;
    return width <= height
        ? new ImageSize(shortestEdge, newLong)
        : new ImageSize(newLong, shortestEdge);
  }
}
