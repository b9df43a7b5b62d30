package dev.vlm.server.image;

/**
 * Image container formats recognised by their leading bytes. Sniffing the signature (instead of
 * letting every ImageIO plug-in guess) keeps formats with weak signatures, such as WBMP, from
 * claiming random bytes.
 */
enum EncodedFormat {
  PNG("PNG", "png", true),
  JPEG("JPEG", "jpeg", true),
  GIF("GIF", "gif", true),
  BMP("BMP", "bmp", true),
  WEBP("WebP", null, false),
  TIFF("TIFF", null, false),
  HEIF_OR_AVIF("HEIF/AVIF", null, false);

  /** The formats {@link ImageDecoder} reads, for messages. */
  static final String SUPPORTED_LIST = "PNG, JPEG, GIF or BMP";

  private final String displayName;
  private final String imageIoName;
  private final boolean supported;

  EncodedFormat(String displayName, String imageIoName, boolean supported) {
    this.displayName = displayName;
    this.imageIoName = imageIoName;
    this.supported = supported;
  }

  String displayName() {
    return displayName;
  }

  /** The ImageIO format name of the reader, or null when unsupported. */
  String imageIoName() {
    return imageIoName;
  }

  boolean supported() {
    return supported;
  }

  /**
   * Identifies the format from the first bytes.
   *
   * @return the format, or null when no known signature matches
   */
  static EncodedFormat sniff(byte[] data) {
    if (startsWith(data, 0, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) {
      return PNG;
    }
    if (startsWith(data, 0, 0xFF, 0xD8, 0xFF)) {
      return JPEG;
    }
    if (startsWith(data, 0, 'G', 'I', 'F', '8')) {
      return GIF;
    }
    if (startsWith(data, 0, 'B', 'M') && data.length >= 26) {
      return BMP;
    }
    if (startsWith(data, 0, 'R', 'I', 'F', 'F') && startsWith(data, 8, 'W', 'E', 'B', 'P')) {
      return WEBP;
    }
    if (startsWith(data, 0, 'I', 'I', 42, 0) || startsWith(data, 0, 'M', 'M', 0, 42)) {
      return TIFF;
    }
    if (startsWith(data, 4, 'f', 't', 'y', 'p')) {
      return HEIF_OR_AVIF;
    }
    return null;
  }

  private static boolean startsWith(byte[] data, int offset, int... signature) {
    if (data.length < offset + signature.length) {
      return false;
    }
    for (int i = 0; i < signature.length; i++) {
      if ((data[offset + i] & 0xff) != signature[i]) {
        return false;
      }
    }
    return true;
  }
}
