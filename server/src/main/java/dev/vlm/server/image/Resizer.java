package dev.vlm.server.image;

import java.util.Arrays;
import java.util.Objects;

/**
 * Resizes images exactly like PIL's {@code Image.resize(size, resample)} on 8-bit RGB (Pillow
 * 9.x/10.x, {@code reducing_gap=None}, no box): a separable convolution whose kernel is stretched
 * by the downscale factor (antialiasing), a horizontal pass then a vertical pass, each rounding to
 * uint8 and clipping; fixed-point weights as in PIL, so results match PIL bit for bit. Nearest
 * neighbour follows PIL's affine scaling path instead. With {@link FixedPoint#TORCH_INT16} the same
 * convolution matches torch's antialiased uint8 {@code interpolate} (torchvision's resize) bit for
 * bit instead.
 *
 * <p>Stateless and thread-safe.
 */
public final class Resizer {
  /**
   * The most pixels a resize may produce. A decodable image inside the decoder's pixel limit can
   * still ask for far more after resizing (10,000,000x1 scaled to a shortest edge of 32 is
   * 320,000,000x32); refusing before allocating keeps one request from exhausting the heap.
   * 2^25 pixels (96 MiB of RGB) is far beyond what any vision tower's preprocessing needs.
   */
  static final long MAX_OUTPUT_PIXELS = 1L << 25;

  private Resizer() {}

  /**
   * Resizes an image to the given size.
   *
   * @param src the image
   * @param width output width, positive
   * @param height output height, positive
   * @param filter the resampling filter
   * @return the resized image; {@code src} itself when the size is unchanged (PIL copies then)
   * @throws IllegalArgumentException if a side is not positive
   * @throws ImageException TOO_MANY_PIXELS if the output, or the resampling weights it needs,
   *     would exceed a fixed bound ({@link #MAX_OUTPUT_PIXELS} pixels)
   */
  public static RgbImage resize(RgbImage src, int width, int height, ResampleFilter filter) {
    return resize(src, width, height, filter, FixedPoint.PIL);
  }

  /**
   * Resizes an image with the given rounding of the weights: {@link FixedPoint#PIL} is
   * {@link #resize(RgbImage, int, int, ResampleFilter)}, {@link FixedPoint#TORCH_INT16} is
   * torchvision's antialiased resize of a uint8 tensor (the same convolution with other
   * fixed-point weights). Nearest neighbour is PIL's with either rule.
   *
   * @param src the image
   * @param width output width, positive
   * @param height output height, positive
   * @param filter the resampling filter
   * @param rule how the weights are rounded
   * @return the resized image; {@code src} itself when the size is unchanged
   * @throws IllegalArgumentException if a side is not positive
   * @throws ImageException TOO_MANY_PIXELS as {@link #resize(RgbImage, int, int, ResampleFilter)}
   */
  public static RgbImage resize(RgbImage src, int width, int height, ResampleFilter filter, FixedPoint rule) {
    Objects.requireNonNull(src, "src");
    Objects.requireNonNull(filter, "filter");
    Objects.requireNonNull(rule, "rule");
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException(
          "resize target must have positive sides, got " + width + "x" + height);
    }
    if (width == src.width() && height == src.height()) {
      return src;
    }
    if ((long) width * height > MAX_OUTPUT_PIXELS) {
      throw new ImageException(ImageException.Reason.TOO_MANY_PIXELS,
          "resizing the " + src.width() + "x" + src.height() + " image to " + width + "x" + height
              + " would make " + (long) width * height + " pixels, more than the " + MAX_OUTPUT_PIXELS
              + " a resize may produce; send an image with a less extreme aspect ratio");
    }
    if (filter == ResampleFilter.NEAREST) {
      return nearest(src, width, height);
    }
    return convolve(src, width, height, filter, rule);
  }

  private static RgbImage convolve(RgbImage src, int width, int height, ResampleFilter filter, FixedPoint rule) {
    ResampleCoefficients vertical = ResampleCoefficients.compute(src.height(), height, filter, rule);
    byte[] pixels = src.rgb();
    int rowOffset = 0;
    int rows = src.height();
    if (width != src.width()) {
      // Like PIL, only the source rows the vertical pass will read are resampled horizontally.
      ResampleCoefficients horizontal = ResampleCoefficients.compute(src.width(), width, filter, rule);
      rowOffset = vertical.first(0);
      rows = vertical.end() - rowOffset;
      pixels = horizontalPass(pixels, src.width(), rowOffset, rows, horizontal, width);
    }
    if (height != src.height()) {
      pixels = verticalPass(pixels, width, rowOffset, vertical, height);
    }
    return new RgbImage(width, height, pixels);
  }

  private static byte[] horizontalPass(
      byte[] in, int inWidth, int firstRow, int rows, ResampleCoefficients c, int outWidth) {
    byte[] out = new byte[outWidth * rows * 3];
    int o = 0;
    int half = 1 << (c.bits() - 1);
    for (int y = 0; y < rows; y++) {
      int rowStart = (firstRow + y) * inWidth * 3;
      for (int x = 0; x < outWidth; x++) {
        int r = half;
        int g = half;
        int b = half;
        int p = rowStart + c.first(x) * 3;
        for (int i = 0, n = c.count(x); i < n; i++, p += 3) {
          int w = c.weight(x, i);
          r += (in[p] & 0xff) * w;
          g += (in[p + 1] & 0xff) * w;
          b += (in[p + 2] & 0xff) * w;
        }
        out[o++] = clip8(r, c.bits());
        out[o++] = clip8(g, c.bits());
        out[o++] = clip8(b, c.bits());
      }
    }
    return out;
  }

  /**
   * Vertical pass over an image whose row 0 is source row {@code rowOffset} (the horizontal pass
   * may have dropped rows no output reads).
   */
  private static byte[] verticalPass(
      byte[] in, int width, int rowOffset, ResampleCoefficients c, int outHeight) {
    int stride = width * 3;
    byte[] out = new byte[stride * outHeight];
    int[] acc = new int[stride];
    int half = 1 << (c.bits() - 1);
    for (int y = 0; y < outHeight; y++) {
      Arrays.fill(acc, half);
      int firstRow = c.first(y) - rowOffset;
      for (int i = 0, n = c.count(y); i < n; i++) {
        int w = c.weight(y, i);
        int p = (firstRow + i) * stride;
        for (int s = 0; s < stride; s++) {
          acc[s] += (in[p + s] & 0xff) * w;
        }
      }
      int o = y * stride;
      for (int s = 0; s < stride; s++) {
        out[o + s] = clip8(acc[s], c.bits());
      }
    }
    return out;
  }

  private static byte clip8(int fixedPoint, int bits) {
    int v = fixedPoint >> bits;
    return (byte) (v < 0 ? 0 : Math.min(v, 255));
  }

  /**
   * PIL resizes with NEAREST through its affine transform: the source coordinate starts at half a
   * step and is advanced by repeated addition (so its rounding drifts exactly as PIL's does), then
   * truncated.
   */
  private static RgbImage nearest(RgbImage src, int width, int height) {
    int[] sourceColumn = nearestIndices(src.width(), width);
    int[] sourceRow = nearestIndices(src.height(), height);
    byte[] in = src.rgb();
    byte[] out = new byte[width * height * 3];
    int o = 0;
    for (int y = 0; y < height; y++) {
      int row = sourceRow[y];
      for (int x = 0; x < width; x++) {
        int column = sourceColumn[x];
        if (row >= 0 && column >= 0) {
          int p = (row * src.width() + column) * 3;
          out[o] = in[p];
          out[o + 1] = in[p + 1];
          out[o + 2] = in[p + 2];
        }
        o += 3;
      }
    }
    return new RgbImage(width, height, out);
  }

  /** Source index per output index, or -1 where PIL would leave the pixel black. */
  private static int[] nearestIndices(int inSize, int outSize) {
    double step = (double) inSize / outSize;
    double position = step * 0.5;
    int[] indices = new int[outSize];
    for (int i = 0; i < outSize; i++) {
      int index = position < 0.0 ? -1 : (int) position;
      indices[i] = index < inSize ? index : -1;
      position += step;
    }
    return indices;
  }
}
