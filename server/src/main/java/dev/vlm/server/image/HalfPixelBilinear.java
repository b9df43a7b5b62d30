package dev.vlm.server.image;

/**
 * Bilinear resampling of float planes as onnxruntime's {@code Resize} does it (mode linear,
 * coordinate transformation half_pixel, no antialiasing), all in float32. transformers.js resizes
 * normalized tensors this way ({@code interpolate_4d}), so matching it matters more than
 * antialiasing: a 2x downscale is the mean of each 2x2 block, a 1x resize the identity.
 *
 * <p>Stateless and thread-safe.
 */
public final class HalfPixelBilinear {
  private HalfPixelBilinear() {}

  /**
   * Resizes an image.
   *
   * @param src the image
   * @param width output width, positive
   * @param height output height, positive
   * @return the resized image; {@code src} itself when the size is unchanged
   * @throws IllegalArgumentException if a side is not positive
   */
  public static PlanarImage resize(PlanarImage src, int width, int height) {
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException("resize target must have positive sides, got " + width + "x" + height);
    }
    if (width == src.width() && height == src.height()) {
      return src;
    }
    Axis xs = Axis.of(src.width(), width);
    Axis ys = Axis.of(src.height(), height);
    float[] in = src.chw();
    float[] out = new float[3 * width * height];
    int inPlane = src.width() * src.height();
    for (int c = 0; c < 3; c++) {
      int base = c * inPlane;
      for (int y = 0; y < height; y++) {
        int rowLo = base + ys.lo[y] * src.width();
        int rowHi = base + ys.hi[y] * src.width();
        float wy = ys.weight[y];
        for (int x = 0; x < width; x++) {
          float wx = xs.weight[x];
          float top = (1 - wx) * in[rowLo + xs.lo[x]] + wx * in[rowLo + xs.hi[x]];
          float bottom = (1 - wx) * in[rowHi + xs.lo[x]] + wx * in[rowHi + xs.hi[x]];
          out[(c * height + y) * width + x] = (1 - wy) * top + wy * bottom;
        }
      }
    }
    return new PlanarImage(width, height, out);
  }

  /** Source neighbours and weight for each output index along one axis. */
  private record Axis(int[] lo, int[] hi, float[] weight) {
    static Axis of(int inSize, int outSize) {
      // float32 throughout, in onnxruntime's order of operations, so the weights match its bits.
      float scale = (float) outSize / (float) inSize;
      int[] lo = new int[outSize];
      int[] hi = new int[outSize];
      float[] weight = new float[outSize];
      for (int i = 0; i < outSize; i++) {
        float src = ((i + 0.5f) / scale) - 0.5f;
        src = Math.max(0f, Math.min(src, inSize - 1));
        int l = (int) Math.floor(src);
        lo[i] = l;
        hi[i] = Math.min(l + 1, inSize - 1);
        weight[i] = src - l;
      }
      return new Axis(lo, hi, weight);
    }
  }
}
