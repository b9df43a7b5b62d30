package dev.vlm.server.image;

import java.util.Objects;

/**
 * Resizes float planes as {@code torch.nn.functional.interpolate(mode="bilinear",
 * align_corners=False, antialias=True)} does on CPU for float32 tensors: separable, width first and
 * then height (an axis whose size does not change is left as it is), a triangle kernel stretched by
 * the downscale factor (so downscaling averages, like PIL's bilinear), each output's window rounded
 * to whole source pixels and clipped to the image, weights normalised to sum 1. Weights and sums
 * are computed in float32 in torch's order, so results agree with torch to float rounding.
 *
 * <p>Unlike {@link Resizer} (PIL on uint8), values are neither rounded nor clipped: Kosmos-2.5
 * resizes an image after normalizing it.
 *
 * <p>Stateless and thread-safe.
 */
public final class AntialiasedBilinear {
  private AntialiasedBilinear() {}

  /**
   * Resizes a planar image.
   *
   * @param src the image
   * @param width output width, positive
   * @param height output height, positive
   * @return the resized image; {@code src} itself when the size is unchanged
   * @throws IllegalArgumentException if a side is not positive
   * @throws ImageException TOO_MANY_PIXELS if the output would exceed {@link Resizer#MAX_OUTPUT_PIXELS}
   */
  public static PlanarImage resize(PlanarImage src, int width, int height) {
    Objects.requireNonNull(src, "src");
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException("resize target must have positive sides, got " + width + "x" + height);
    }
    if ((long) width * height > Resizer.MAX_OUTPUT_PIXELS) {
      throw new ImageException(ImageException.Reason.TOO_MANY_PIXELS,
          "resizing the " + src.width() + "x" + src.height() + " image to " + width + "x" + height
              + " would make more pixels than the " + Resizer.MAX_OUTPUT_PIXELS + " a resize may produce");
    }
    PlanarImage out = src;
    if (width != out.width()) {
      out = horizontal(out, width);
    }
    if (height != out.height()) {
      out = vertical(out, height);
    }
    return out;
  }

  private static PlanarImage horizontal(PlanarImage src, int width) {
    Weights w = Weights.compute(src.width(), width);
    int inW = src.width();
    int h = src.height();
    float[] in = src.chw();
    float[] out = new float[3 * h * width];
    for (int row = 0; row < 3 * h; row++) {
      int inRow = row * inW;
      int outRow = row * width;
      for (int x = 0; x < width; x++) {
        out[outRow + x] = w.apply(in, inRow, 1, x);
      }
    }
    return new PlanarImage(width, h, out);
  }

  private static PlanarImage vertical(PlanarImage src, int height) {
    Weights w = Weights.compute(src.height(), height);
    int width = src.width();
    int inPlane = width * src.height();
    int outPlane = width * height;
    float[] in = src.chw();
    float[] out = new float[3 * outPlane];
    for (int c = 0; c < 3; c++) {
      for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
          out[c * outPlane + y * width + x] = w.apply(in, c * inPlane + x, width, y);
        }
      }
    }
    return new PlanarImage(width, height, out);
  }

  /** One axis's windows and weights, torch's {@code _compute_weights_aa} in float32. */
  private record Weights(int[] first, int[] count, float[] weights, int kernel) {
    static Weights compute(int inSize, int outSize) {
      float scale = (float) inSize / outSize;
      float support = scale >= 1.0f ? scale : 1.0f; // interp_size 2, times 0.5, stretched when downscaling
      float inverseScale = scale >= 1.0f ? 1.0f / scale : 1.0f;
      int kernel = (int) Math.ceil(support) * 2 + 1;
      int[] first = new int[outSize];
      int[] count = new int[outSize];
      float[] weights = new float[outSize * kernel];
      for (int i = 0; i < outSize; i++) {
        float center = scale * (i + 0.5f);
        // C's cast truncates toward zero; negatives are clamped to 0 right after, as in torch.
        int min = Math.max((int) (center - support + 0.5f), 0);
        int size = Math.min((int) (center + support + 0.5f), inSize) - min;
        float total = 0.0f;
        for (int j = 0; j < size; j++) {
          float w = triangle((j + min - center + 0.5f) * inverseScale);
          weights[i * kernel + j] = w;
          total += w;
        }
        if (total != 0.0f) {
          for (int j = 0; j < size; j++) {
            weights[i * kernel + j] /= total;
          }
        }
        first[i] = min;
        count[i] = size;
      }
      return new Weights(first, count, weights, kernel);
    }

    private static float triangle(float x) {
      float a = Math.abs(x);
      return a < 1.0f ? 1.0f - a : 0.0f;
    }

    /** Output {@code i} from {@code in[base + k * stride]}, summed in float in source order. */
    float apply(float[] in, int base, int stride, int i) {
      int start = first[i];
      int at = i * kernel;
      float sum = in[base + start * stride] * weights[at];
      for (int j = 1; j < count[i]; j++) {
        sum += in[base + (start + j) * stride] * weights[at + j];
      }
      return sum;
    }
  }
}
