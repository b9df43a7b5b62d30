package dev.vlm.server.image;

import java.nio.charset.StandardCharsets;

/**
 * Reads the EXIF Orientation tag (0x0112) of an encoded image, where PIL's {@code getexif()}
 * finds it: a JPEG's APP1 {@code Exif} segment, or a PNG's {@code eXIf} chunk. The value says how
 * the stored pixels must be turned to stand upright (1 upright ... 8), which Hugging Face's
 * {@code load_image} applies ({@code ImageOps.exif_transpose}) and most image processors do not.
 *
 * <p>Lenient: anything malformed, absent or out of range reads as 1 (upright), since a broken
 * EXIF block never stops PIL from opening the image either. Stateless.
 */
final class ExifOrientation {
  /** Stored pixels are upright. */
  static final int UPRIGHT = 1;

  private static final int TAG = 0x0112;
  private static final byte[] EXIF_HEADER = "Exif\0\0".getBytes(StandardCharsets.ISO_8859_1);

  private ExifOrientation() {}

  /**
   * @param encoded the file's bytes
   * @param format the sniffed format
   * @return the orientation, 1..8
   */
  static int read(byte[] encoded, EncodedFormat format) {
    try {
      return switch (format) {
        case JPEG -> fromJpeg(encoded);
        case PNG -> fromPng(encoded);
        default -> UPRIGHT;
      };
    } catch (IndexOutOfBoundsException e) {
      return UPRIGHT; // a truncated segment or IFD
    }
  }

  private static int fromJpeg(byte[] b) {
    int at = 2; // after SOI
    while (at + 4 <= b.length && (b[at] & 0xff) == 0xff) {
      int marker = b[at + 1] & 0xff;
      if (marker == 0xda || marker == 0xd9) {
        return UPRIGHT; // start of scan or end of image: no EXIF before the pixels
      }
      int length = u16(b, at + 2, true);
      int body = at + 4;
      if (marker == 0xe1 && startsWith(b, body, EXIF_HEADER)) {
        return fromTiff(b, body + EXIF_HEADER.length, at + 2 + length);
      }
      at += 2 + length;
    }
    return UPRIGHT;
  }

  private static int fromPng(byte[] b) {
    int at = 8; // after the signature
    while (at + 8 <= b.length) {
      int length = (int) Math.min(u32(b, at, true), Integer.MAX_VALUE);
      String type = new String(b, at + 4, 4, StandardCharsets.ISO_8859_1);
      if (type.equals("eXIf")) {
        return fromTiff(b, at + 8, at + 8 + length);
      }
      if (type.equals("IEND")) {
        return UPRIGHT;
      }
      at += 12 + length;
    }
    return UPRIGHT;
  }

  /** IFD0 of a TIFF structure in {@code b[start, end)}. */
  private static int fromTiff(byte[] b, int start, int end) {
    if (end > b.length || end - start < 8) {
      return UPRIGHT;
    }
    boolean bigEndian;
    if (b[start] == 'M' && b[start + 1] == 'M') {
      bigEndian = true;
    } else if (b[start] == 'I' && b[start + 1] == 'I') {
      bigEndian = false;
    } else {
      return UPRIGHT;
    }
    long ifd = start + u32(b, start + 4, bigEndian);
    if (ifd + 2 > end) {
      return UPRIGHT;
    }
    int entries = u16(b, (int) ifd, bigEndian);
    for (int i = 0; i < entries; i++) {
      int entry = (int) ifd + 2 + 12 * i;
      if (entry + 12 > end) {
        return UPRIGHT;
      }
      // Tag, type 3 (SHORT), count 1: the value sits in the first two bytes of the value field.
      if (u16(b, entry, bigEndian) == TAG && u16(b, entry + 2, bigEndian) == 3) {
        int value = u16(b, entry + 8, bigEndian);
        return value >= 1 && value <= 8 ? value : UPRIGHT;
      }
    }
    return UPRIGHT;
  }

  private static boolean startsWith(byte[] b, int at, byte[] prefix) {
    if (at + prefix.length > b.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (b[at + i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  private static int u16(byte[] b, int at, boolean bigEndian) {
    int first = b[at] & 0xff;
    int second = b[at + 1] & 0xff;
    return bigEndian ? (first << 8) | second : (second << 8) | first;
  }

  private static long u32(byte[] b, int at, boolean bigEndian) {
    long high = u16(b, at, bigEndian);
    long low = u16(b, at + 2, bigEndian);
    return bigEndian ? (high << 16) | low : (low << 16) | high;
  }
}
