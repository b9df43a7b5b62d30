package dev.vlm.server.image;

import java.awt.image.Raster;
import java.io.IOException;
import javax.imageio.ImageReader;

/**
 * Decodes four-channel JPEGs (CMYK and YCCK, as print workflows and Photoshop write them) to RGB
 * exactly as PIL does, so the models see what their Python processors saw.
 *
 * <p>The JDK's JPEG reader cannot make a {@code BufferedImage} of these, but hands out the raw
 * samples as a {@link Raster}. From there PIL's chain is reproduced step by step:
 *
 * <ol>
 *   <li>libjpeg turns YCCK into CMYK (an Adobe APP14 marker with a non-zero transform means YCCK;
 *       without the marker, four channels are CMYK), with its own fixed-point YCbCr tables;
 *   <li>PIL reads every four-channel JPEG as inverted CMYK (Adobe's convention), whatever the
 *       marker says;
 *   <li>{@code convert("RGB")} computes {@code (255 - k) - c * (255 - k) / 255} per channel, with
 *       PIL's rounding of the division.
 * </ol>
 */
final class FourChannelJpeg {
  private static final int SCALE_BITS = 16;
  private static final int ONE_HALF = 1 << (SCALE_BITS - 1);
  private static final int[] CR_TO_R = new int[256];
  private static final int[] CB_TO_B = new int[256];
  private static final int[] CR_TO_G = new int[256];
  private static final int[] CB_TO_G = new int[256];

  static {
    // libjpeg's build_ycc_rgb_table, which YCCK-to-CMYK conversion shares.
    for (int i = 0; i < 256; i++) {
      int x = i - 128;
      CR_TO_R[i] = (fixed(1.40200) * x + ONE_HALF) >> SCALE_BITS;
      CB_TO_B[i] = (fixed(1.77200) * x + ONE_HALF) >> SCALE_BITS;
      CR_TO_G[i] = -fixed(0.71414) * x;
      CB_TO_G[i] = -fixed(0.34414) * x + ONE_HALF;
    }
  }

  private FourChannelJpeg() {}

  /** How the file's four channels are coded, or null when it has not four channels. */
  enum Coding {
    CMYK,
    YCCK
  }

  /**
   * Reads the frame header and the Adobe marker from the file's segments up to the first scan.
   * Not through ImageIO's metadata, which refuses files whose markers are in an order the JFIF
   * standard does not allow but every decoder reads (an EXIF APP1 before the JFIF APP0).
   *
   * @return the coding of a four-channel file, null for any other file
   */
  static Coding coding(byte[] jpeg) {
    Integer adobeTransform = null;
    int at = 2; // after SOI
    while (at + 4 <= jpeg.length && (jpeg[at] & 0xff) == 0xff) {
      int marker = jpeg[at + 1] & 0xff;
      if (marker == 0xff) {
        at++; // fill byte
        continue;
      }
      int length = ((jpeg[at + 2] & 0xff) << 8) | (jpeg[at + 3] & 0xff);
      int body = at + 4;
      if (marker == 0xee && length >= 14 && body + 12 <= jpeg.length && isAdobe(jpeg, body)) {
        adobeTransform = jpeg[body + 11] & 0xff;
      } else if (isStartOfFrame(marker) && body + 6 <= jpeg.length) {
        if ((jpeg[body + 5] & 0xff) != 4) {
          return null;
        }
        // The Adobe marker, when there is one, comes before the frame in every writer's output.
        return adobeTransform != null && adobeTransform != 0 ? Coding.YCCK : Coding.CMYK;
      } else if (marker == 0xda) {
        return null; // a scan before any frame header: not a file we can read anyway
      }
      at += 2 + length;
    }
    return null;
  }

  private static boolean isAdobe(byte[] jpeg, int at) {
    return jpeg[at] == 'A' && jpeg[at + 1] == 'd' && jpeg[at + 2] == 'o' && jpeg[at + 3] == 'b'
        && jpeg[at + 4] == 'e';
  }

  /** SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC). */
  private static boolean isStartOfFrame(int marker) {
    return marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
  }

  /** Decodes the image, whose coding {@link #coding} returned. */
  static RgbImage decode(ImageReader reader, Coding coding) throws IOException {
    Raster raster = reader.readRaster(0, null);
    int width = raster.getWidth();
    int height = raster.getHeight();
    byte[] rgb = new byte[width * height * 3];
    int[] row = new int[width * 4];
    int[] cmyk = new int[4];
    for (int y = 0; y < height; y++) {
      raster.getPixels(raster.getMinX(), raster.getMinY() + y, width, 1, row);
      for (int x = 0; x < width; x++) {
        int at = x * 4;
        if (coding == Coding.YCCK) {
          ycckToStoredCmyk(row[at], row[at + 1], row[at + 2], row[at + 3], cmyk);
        } else {
          System.arraycopy(row, at, cmyk, 0, 4);
        }
        // PIL reads the stored samples inverted, then subtracts ink from white.
        int white = cmyk[3];
        int out = (y * width + x) * 3;
        for (int channel = 0; channel < 3; channel++) {
          int ink = 255 - cmyk[channel];
          rgb[out + channel] = (byte) clip(white - mulDiv255(ink, white));
        }
      }
    }
    return new RgbImage(width, height, rgb);
  }

  /** libjpeg's ycck_cmyk_convert: the stored (Adobe-inverted) CMYK of one YCCK sample. */
  private static void ycckToStoredCmyk(int luma, int cb, int cr, int k, int[] cmyk) {
    cmyk[0] = clip(255 - (luma + CR_TO_R[cr]));
    cmyk[1] = clip(255 - (luma + ((CB_TO_G[cb] + CR_TO_G[cr]) >> SCALE_BITS)));
    cmyk[2] = clip(255 - (luma + CB_TO_B[cb]));
    cmyk[3] = k;
  }

  /** a * b / 255 rounded as PIL's MULDIV255 macro does it. */
  private static int mulDiv255(int a, int b) {
    int t = a * b + 128;
    return ((t >> 8) + t) >> 8;
  }

  private static int fixed(double value) {
    return (int) (value * (1 << SCALE_BITS) + 0.5);
  }

  private static int clip(int value) {
    return Math.max(0, Math.min(255, value));
  }
}
