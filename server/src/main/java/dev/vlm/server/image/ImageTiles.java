package dev.vlm.server.image;

import java.util.List;

/**
 * An image cut into square frames for a vision encoder of fixed input size.
 *
 * @param rows tile rows, 0 when the image was not split
 * @param cols tile columns, 0 when the image was not split
 * @param frames the tiles row by row, then the whole image scaled down to one frame (the only
 *     frame when not split); every frame has the encoder's square size
 */
public record ImageTiles(int rows, int cols, List<PlanarImage> frames) {
  /**
   * Checks that the frame count fits the grid.
   *
   * @throws IllegalArgumentException if {@code frames} is not {@code rows * cols + 1} long
   */
  public ImageTiles {
    frames = List.copyOf(frames);
    if (rows < 0 || cols < 0 || (rows == 0) != (cols == 0) || frames.size() != rows * cols + 1) {
      throw new IllegalArgumentException(
          rows + "x" + cols + " tiles need " + (rows * cols + 1) + " frames, got " + frames.size());
    }
  }

  /** Whether the image was cut into tiles (else its one frame is the whole image). */
  public boolean split() {
    return rows > 0;
  }
}
