package dev.vlm.server.image.qwen;

/**
 * One image preprocessed for a Qwen2-VL vision encoder: the patch matrix and its grid.
 *
 * @param patches {@code grid.patches() * rowWidth} floats, row-major: one row per patch, in
 *     merge-block order
 * @param rowWidth values per patch row: {@code channels * temporalPatch * patch * patch}
 * @param grid the image's patch grid
 */
public record QwenPixels(float[] patches, int rowWidth, GridThw grid) {
  /**
   * Checks that the matrix matches the grid.
   *
   * @throws IllegalArgumentException if {@code patches} does not hold {@code grid.patches()} rows
   */
  public QwenPixels {
    if (rowWidth <= 0 || patches.length != (long) grid.patches() * rowWidth) {
      throw new IllegalArgumentException("patch matrix of " + patches.length + " values does not match grid "
          + grid + " of rows " + rowWidth + " wide");
    }
  }

  /** Patch rows: {@code grid.patches()}. */
  public int rows() {
    return grid.patches();
  }
}
