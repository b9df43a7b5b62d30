package dev.vlm.server.model.described;

import dev.vlm.server.model.PixelBatch;
import java.util.List;

/**
 * What a processor kind makes of one image: its frames as encoder inputs, each filling one run
 * of image tokens, and where they sit in a tile grid.
 *
 * @param rows tile rows, 0 for an image left whole
 * @param cols tile columns, 0 for an image left whole
 * @param frames the tiles row by row, then the whole image (the only frame when not split)
 */
record ImageFrames(int rows, int cols, List<PixelBatch> frames) {
  /**
   * @throws IllegalArgumentException if the frame count does not fit the grid
   */
  ImageFrames {
    frames = List.copyOf(frames);
    if (rows < 0 || cols < 0 || (rows == 0) != (cols == 0) || frames.size() != rows * cols + 1) {
      throw new IllegalArgumentException(
          rows + "x" + cols + " tiles need " + (rows * cols + 1) + " frames, got " + frames.size());
    }
  }

  /** An image left whole: one frame. */
  static ImageFrames whole(PixelBatch frame) {
    return new ImageFrames(0, 0, List.of(frame));
  }
}
