package dev.vlm.server.image.qwen;

/**
 * The patch grid of one Qwen2-VL image: frames (in temporal patches), rows and columns of
 * patches, as fed to the vision encoder's grid input.
 *
 * @param t temporal patches (1 for a still image)
 * @param h patch rows
 * @param w patch columns
 */
public record GridThw(int t, int h, int w) {
  /**
   * Checks the sides.
   *
   * @throws IllegalArgumentException if a side is not positive
   */
  public GridThw {
    if (t <= 0 || h <= 0 || w <= 0) {
      throw new IllegalArgumentException("grid sides must be positive, got (" + t + ", " + h + ", " + w + ")");
    }
  }

  /** Patch rows the encoder takes for this image: {@code t * h * w}. */
  public int patches() {
    return t * h * w;
  }

  /**
   * Image tokens in the prompt: the patches after {@code mergeSize x mergeSize} merging.
   *
   * @throws IllegalArgumentException if {@code h} or {@code w} is not a multiple of {@code mergeSize}
   */
  public int mergedTokens(int mergeSize) {
    if (mergeSize <= 0 || h % mergeSize != 0 || w % mergeSize != 0) {
      throw new IllegalArgumentException("grid " + h + "x" + w + " does not divide into merge blocks of " + mergeSize);
    }
    return t * (h / mergeSize) * (w / mergeSize);
  }
}
