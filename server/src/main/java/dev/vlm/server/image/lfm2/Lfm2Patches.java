package dev.vlm.server.image.lfm2;

import dev.vlm.server.image.ImageException;
import dev.vlm.server.image.PlanarImage;
import java.util.Arrays;

/**
 * Cuts a tile into the NaFlex encoder's patch rows: patches row-major over the tile, each row
 * ordered (dy, dx, channel), zero-padded to a fixed number of rows with a mask of the real ones.
 *
 * @param values {@code maxPatches * patch * patch * 3} floats
 * @param mask 1 for each real patch row (a prefix), 0 for padding
 * @param patchRows patch rows of the tile
 * @param patchCols patch columns of the tile
 */
public record Lfm2Patches(float[] values, long[] mask, int patchRows, int patchCols) {
  /**
   * Patchifies a tile.
   *
   * @param tile the normalized tile, sides multiples of {@code patch}
   * @param patch patch side in pixels
   * @param maxPatches rows to pad to
   * @return the padded patch rows
   * @throws ImageException UNSUPPORTED if the tile has more patches than {@code maxPatches} (an
   *     image of extreme shape: the encoder takes at most that many)
   */
  public static Lfm2Patches of(PlanarImage tile, int patch, int maxPatches) {
    int rows = tile.height() / patch;
    int cols = tile.width() / patch;
    if (rows * cols > maxPatches) {
      throw new ImageException(ImageException.Reason.UNSUPPORTED,
          "the image's shape gives a " + tile.width() + "x" + tile.height() + " tile of " + rows * cols
              + " patches, more than the " + maxPatches + " the vision encoder takes (max_num_patches);"
              + " send an image with a less extreme aspect ratio");
    }
    int dim = patch * patch * 3;
    float[] values = new float[maxPatches * dim];
    float[] chw = tile.chw();
    int plane = tile.width() * tile.height();
    int out = 0;
    for (int py = 0; py < rows; py++) {
      for (int px = 0; px < cols; px++) {
        for (int dy = 0; dy < patch; dy++) {
          int row = (py * patch + dy) * tile.width() + px * patch;
          for (int dx = 0; dx < patch; dx++) {
            for (int c = 0; c < 3; c++) {
              values[out++] = chw[c * plane + row + dx];
            }
          }
        }
      }
    }
    long[] mask = new long[maxPatches];
    Arrays.fill(mask, 0, rows * cols, 1L);
    return new Lfm2Patches(values, mask, rows, cols);
  }
}
