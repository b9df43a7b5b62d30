package dev.vlm.server.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;

/**
 * Turns what ImageIO decoded into RGB the way PIL's {@code Image.convert("RGB")} does, reading raw
 * raster samples (never {@code BufferedImage.getRGB}, which would apply colour-space conversions
 * PIL does not make, e.g. the linear-gray to sRGB curve on grayscale images).
 *
 * <p>PIL's rules, checked against PIL 9.4 by the reference fixtures:
 *
 * <ul>
 *   <li>alpha is dropped, not composited: a transparent pixel keeps its stored colour;
 *   <li>grayscale is replicated to the three channels; palettes are looked up;
 *   <li>16-bit RGB, RGBA and gray+alpha keep the most significant byte;
 *   <li>16-bit grayscale PNG without an alpha channel (with or without a tRNS colour key) is
 *       opened by PIL as 32-bit integer mode "I", and "I" to RGB clips to 0..255 (so most 16-bit
 *       gray images come out white); this is what the models' Hugging Face processors saw, so it
 *       is reproduced;
 *   <li>channels narrower than 8 bits (BMP 5-6-5) scale as {@code v * 255 / max}, truncating.
 * </ul>
 *
 * ICC profiles and gamma chunks are ignored, as PIL ignores them on conversion.
 */
final class PilRgbConversion {
  private PilRgbConversion() {}

  /**
   * Converts a decoded image.
   *
   * @param grayIsPilModeI whether the file is what PIL opens as mode "I" (16-bit grayscale PNG
   *     without an alpha channel). It cannot be told from the decoded image alone, because the
   *     JDK's PNG reader turns a tRNS colour key into an alpha band while PIL keeps mode "I".
   * @throws ImageException (UNSUPPORTED) for colour spaces other than RGB and gray (four-channel
   *     JPEGs never come here: {@link FourChannelJpeg} decodes them)
   */
  static RgbImage toRgb(BufferedImage image, boolean grayIsPilModeI) {
    ColorModel colorModel = image.getColorModel();
    Raster raster = image.getRaster();
    if (colorModel instanceof IndexColorModel palette) {
      return fromPalette(palette, raster);
    }
    int colors = colorModel.getNumColorComponents();
    int spaceType = colorModel.getColorSpace().getType();
    boolean gray = colors == 1 && spaceType == ColorSpace.TYPE_GRAY;
    boolean rgb = colors == 3 && spaceType == ColorSpace.TYPE_RGB;
    if (!gray && !rgb) {
      throw new ImageException(
          ImageException.Reason.UNSUPPORTED,
          "images with " + colors + " colour components are not supported; send RGB, grayscale"
              + " or CMYK");
    }
    return fromComponents(raster, gray, grayIsPilModeI);
  }

  private static RgbImage fromPalette(IndexColorModel palette, Raster raster) {
    int size = palette.getMapSize();
    byte[] reds = new byte[size];
    byte[] greens = new byte[size];
    byte[] blues = new byte[size];
    palette.getReds(reds);
    palette.getGreens(greens);
    palette.getBlues(blues);
    int width = raster.getWidth();
    int height = raster.getHeight();
    byte[] out = new byte[width * height * 3];
    int[] row = new int[width];
    int o = 0;
    for (int y = 0; y < height; y++) {
      raster.getSamples(raster.getMinX(), raster.getMinY() + y, width, 1, 0, row);
      for (int x = 0; x < width; x++) {
        int index = row[x];
        // Indices past a PNG's PLTE are invalid files: the JDK pads the palette with its last
        // entry where PIL would give gray (i, i, i). Not worth parsing PLTE again to match.
        if (index < size) {
          out[o] = reds[index];
          out[o + 1] = greens[index];
          out[o + 2] = blues[index];
        }
        o += 3;
      }
    }
    return new RgbImage(width, height, out);
  }

  private static RgbImage fromComponents(Raster raster, boolean gray, boolean grayIsPilModeI) {
    int width = raster.getWidth();
    int height = raster.getHeight();
    int bands = raster.getNumBands();
    int colorBands = gray ? 1 : 3;
    int[][] toByte = new int[colorBands][];
    for (int band = 0; band < colorBands; band++) {
      int bits = raster.getSampleModel().getSampleSize(band);
      toByte[band] = sampleTable(bits, gray && grayIsPilModeI);
    }
    byte[] out = new byte[width * height * 3];
    int[] row = new int[width * bands];
    int o = 0;
    for (int y = 0; y < height; y++) {
      raster.getPixels(raster.getMinX(), raster.getMinY() + y, width, 1, row);
      for (int x = 0, p = 0; x < width; x++, p += bands) {
        if (gray) {
          byte v = (byte) toByte[0][row[p]];
          out[o] = v;
          out[o + 1] = v;
          out[o + 2] = v;
        } else {
          out[o] = (byte) toByte[0][row[p]];
          out[o + 1] = (byte) toByte[1][row[p + 1]];
          out[o + 2] = (byte) toByte[2][row[p + 2]];
        }
        o += 3;
      }
    }
    return new RgbImage(width, height, out);
  }

  /** Maps every possible sample of the given width to its 8-bit value under PIL's rules. */
  private static int[] sampleTable(int bits, boolean clipLikeModeI) {
    if (bits < 1 || bits > 16) {
      throw new ImageException(
          ImageException.Reason.UNSUPPORTED, bits + "-bit channels are not supported");
    }
    int max = (1 << bits) - 1;
    int[] table = new int[max + 1];
    for (int v = 0; v <= max; v++) {
      if (clipLikeModeI) {
        table[v] = Math.min(v, 255);
      } else if (bits >= 8) {
        table[v] = v >> (bits - 8);
      } else {
        table[v] = v * 255 / max;
      }
    }
    return table;
  }
}
