package dev.vlm.server.image;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes encoded images (PNG, JPEG, GIF, BMP) into {@link RgbImage}s, within limits on the
 * encoded size and on the pixel count, converting to RGB as PIL's {@code convert("RGB")} does (see
 * {@link PilRgbConversion}).
 *
 * <p>The pixel count is read from the header and checked before the raster is decoded, so a small
 * file declaring huge dimensions (a decompression bomb) is refused without allocating for it.
 *
 * <p>PNG, GIF and BMP decode to exactly the pixels PIL produces. CMYK and YCCK JPEGs are
 * converted as PIL converts them (see {@link FourChannelJpeg}). JPEG is decoded by the JDK's
 * bundled IJG libjpeg, PIL uses libjpeg-turbo: both default to the same integer IDCT and "fancy"
 * chroma upsampling, and on the test fixtures (4:2:0 colour and grayscale) the pixels are
 * identical, but libjpeg-turbo only aims at, and does not promise, identical output, so other
 * JPEGs may differ by a level or so. EXIF orientation is read (JPEG APP1, PNG eXIf) but not
 * applied: Hugging Face image processors do not apply it, {@code transformers.image_utils.load_image}
 * does (see {@link RgbImage#exifOrientation()}). Only the first
 * frame of an animated GIF is read, at the size of that frame (PIL uses the logical screen size).
 *
 * <p>Thread-safe: every call uses its own ImageIO reader.
 */
public final class ImageDecoder {
  private final long maxBytes;
  private final long maxPixels;

  /**
   * Creates a decoder with limits.
   *
   * @param maxBytes largest accepted encoded size in bytes, positive
   * @param maxPixels largest accepted width * height, positive
   * @throws IllegalArgumentException if a limit is not positive
   */
  public ImageDecoder(long maxBytes, long maxPixels) {
    if (maxBytes <= 0 || maxPixels <= 0) {
      throw new IllegalArgumentException(
          "image limits must be positive, got maxBytes=" + maxBytes + ", maxPixels=" + maxPixels);
    }
    this.maxBytes = maxBytes;
    this.maxPixels = maxPixels;
  }

  /**
   * Decodes one image.
   *
   * @param encoded the file's bytes; not modified
   * @return the image in RGB
   * @throws ImageException TOO_LARGE_BYTES or TOO_MANY_PIXELS when over a limit (the message gives
   *     the size and the limit), UNDECODABLE for empty, unrecognised or corrupt data, TRUNCATED
   *     when the data ends early, UNSUPPORTED for known formats or variants that are not read
   *     (WebP, TIFF, HEIF/AVIF)
   * @throws NullPointerException if {@code encoded} is null
   */
  public RgbImage decode(byte[] encoded) {
    Objects.requireNonNull(encoded, "encoded");
    if (encoded.length == 0) {
      throw new ImageException(ImageException.Reason.UNDECODABLE, "image data is empty (0 bytes)");
    }
    if (encoded.length > maxBytes) {
      throw new ImageException(
          ImageException.Reason.TOO_LARGE_BYTES,
          "image is " + encoded.length + " bytes, the limit is " + maxBytes + " bytes");
    }
    EncodedFormat format = EncodedFormat.sniff(encoded);
    if (format == null) {
      throw new ImageException(
          ImageException.Reason.UNDECODABLE,
          "data is not a recognised image (expected " + EncodedFormat.SUPPORTED_LIST
              + "); it starts with " + leadingHex(encoded));
    }
    if (!format.supported()) {
      throw new ImageException(
          ImageException.Reason.UNSUPPORTED,
          format.displayName() + " images are not supported; send " + EncodedFormat.SUPPORTED_LIST);
    }
    ImageReader reader = newReader(format);
    try (ImageInputStream input =
        new MemoryCacheImageInputStream(new ByteArrayInputStream(encoded))) {
      reader.setInput(input, true, true);
      checkPixelCount(reader, format);
      List<String> warnings = new ArrayList<>();
      reader.addIIOReadWarningListener(collectInto(warnings));
      FourChannelJpeg.Coding fourChannels =
          format == EncodedFormat.JPEG ? FourChannelJpeg.coding(encoded) : null;
      RgbImage rgb;
      if (fourChannels != null) {
        rgb = FourChannelJpeg.decode(reader, fourChannels);
        failOnTruncationWarning(warnings, format);
      } else {
        BufferedImage image = reader.read(0);
        failOnTruncationWarning(warnings, format);
        rgb = PilRgbConversion.toRgb(image, isSixteenBitGrayPng(format, encoded));
      }
      int orientation = ExifOrientation.read(encoded, format);
      return orientation == ExifOrientation.UPRIGHT
          ? rgb
          : new RgbImage(rgb.width(), rgb.height(), rgb.rgb(), orientation);
    } catch (IOException | RuntimeException e) {
      throw asImageException(e, format);
    } finally {
      reader.dispose();
    }
  }

  private void checkPixelCount(ImageReader reader, EncodedFormat format) throws IOException {
    // getWidth/getHeight parse only the header, never the raster.
    int width = reader.getWidth(0);
    int height = reader.getHeight(0);
    if (width <= 0 || height <= 0) {
      throw new ImageException(
          ImageException.Reason.UNDECODABLE,
          format.displayName() + " header declares an empty image (" + width + "x" + height + ")");
    }
    long pixels = (long) width * height;
    if (pixels > maxPixels) {
      throw new ImageException(
          ImageException.Reason.TOO_MANY_PIXELS,
          "image is " + width + "x" + height + " = " + pixels + " pixels, the limit is "
              + maxPixels + " pixels");
    }
  }

  /**
   * Reads bit depth and colour type from the IHDR chunk, which the PNG reader has already checked
   * to be the first chunk, at its fixed offset.
   */
  private static boolean isSixteenBitGrayPng(EncodedFormat format, byte[] encoded) {
    return format == EncodedFormat.PNG
        && encoded.length > 25
        && encoded[24] == 16
        && encoded[25] == 0;
  }

  private static ImageReader newReader(EncodedFormat format) {
    Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format.imageIoName());
    if (!readers.hasNext()) {
      throw new IllegalStateException("the JDK has no ImageIO reader for " + format.displayName());
    }
    return readers.next();
  }

  private static IIOReadWarningListener collectInto(List<String> warnings) {
    return (source, warning) -> warnings.add(warning);
  }

  /**
   * The JDK's JPEG reader reports a cut-off file as a warning and fills the rest with gray; PIL
   * refuses such files ("image file is truncated"), and so do we.
   */
  private static void failOnTruncationWarning(List<String> warnings, EncodedFormat format) {
    for (String warning : warnings) {
      String lower = warning.toLowerCase(Locale.ROOT);
      if (lower.contains("premature end") || lower.contains("truncated")) {
        throw new ImageException(
            ImageException.Reason.TRUNCATED,
            format.displayName() + " image data is truncated (" + warning + ")");
      }
    }
  }

  private static ImageException asImageException(Exception e, EncodedFormat format) {
    if (e instanceof ImageException imageException) {
      return imageException;
    }
    if (causedBy(e, EOFException.class)) {
      return new ImageException(
          ImageException.Reason.TRUNCATED,
          format.displayName() + " image data ends before the image is complete",
          e);
    }
    String detail = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    if (detail.contains("Unsupported Image Type")) {
      return new ImageException(
          ImageException.Reason.UNSUPPORTED,
          format.displayName() + " variant is not supported (" + detail
              + "); send an RGB or grayscale image",
          e);
    }
    return new ImageException(
        ImageException.Reason.UNDECODABLE,
        format.displayName() + " image is corrupt: " + detail,
        e);
  }

  private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  private static String leadingHex(byte[] data) {
    StringBuilder hex = new StringBuilder();
    for (int i = 0; i < Math.min(8, data.length); i++) {
      hex.append(String.format("%02x", data[i] & 0xff));
    }
    return "0x" + hex;
  }
}
