package dev.vlm.server.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class ImageDecoderTest {
  private final ImageDecoder decoder = new ImageDecoder(1 << 20, 1 << 20);

  @Test
  void decodesLikePilConvertRgb() {
    int compared = 0;
    for (JsonNode c : ReferenceData.cases("decode")) {
      String input = c.get("input").textValue();
      if (!c.get("exact").booleanValue()) {
        continue;
      }
      RgbImage image = decoder.decode(ReferenceData.bytes(input));
      assertThat(image.width()).as(input).isEqualTo(c.get("width").intValue());
      assertThat(image.height()).as(input).isEqualTo(c.get("height").intValue());
      assertThat(image.rgb())
          .as("%s (PIL mode %s)", input, c.get("pil_mode").textValue())
          .isEqualTo(ReferenceData.gunzip(c.get("expected").textValue()));
      compared++;
    }
    // RGB, RGBA, L, P (8, 4 and 2 bit, tRNS), LA, 16-bit L/RGB/LA, 1-bit, 2-bit gray, GIF, BMP
    assertThat(compared).isGreaterThanOrEqualTo(15);
  }

  /**
   * The JDK decodes JPEG with its bundled IJG libjpeg, PIL with libjpeg-turbo: the same integer
   * IDCT and fancy upsampling, but no guarantee of identical output, so JPEG is compared with a
   * tolerance and the measured difference is printed.
   */
  @Test
  void decodesJpegCloseToPil() {
    int compared = 0;
    for (JsonNode c : ReferenceData.cases("decode")) {
      String input = c.get("input").textValue();
      if (c.get("exact").booleanValue()) {
        continue;
      }
      RgbImage image = decoder.decode(ReferenceData.bytes(input));
      assertThat(image.width()).as(input).isEqualTo(c.get("width").intValue());
      assertThat(image.height()).as(input).isEqualTo(c.get("height").intValue());
      PixelDifference difference =
          PixelDifference.of(image.rgb(), ReferenceData.gunzip(c.get("expected").textValue()));
      System.out.printf("JPEG decode vs PIL, %s: %s%n", input, difference);
      assertThat(difference.max()).as(input).isLessThanOrEqualTo(4);
      assertThat(difference.mean()).as(input).isLessThan(0.5);
      compared++;
    }
    assertThat(compared).isEqualTo(2);
  }

  @Test
  void decodesCmykAndYcckJpegsAsPil() {
    int compared = 0;
    for (JsonNode c : ReferenceData.cases("four_channel")) {
      String input = c.get("input").textValue();
      RgbImage image = decoder.decode(ReferenceData.bytes(input));
      assertThat(image.width()).as(input).isEqualTo(c.get("width").intValue());
      assertThat(image.height()).as(input).isEqualTo(c.get("height").intValue());
      PixelDifference difference =
          PixelDifference.of(image.rgb(), ReferenceData.gunzip(c.get("expected").textValue()));
      System.out.printf("four-channel JPEG decode vs PIL, %s: %s%n", input, difference);
      // Same bound as the other JPEGs: the IDCT libraries may differ by a level or so.
      assertThat(difference.max()).as(input).isLessThanOrEqualTo(4);
      assertThat(difference.mean()).as(input).isLessThan(0.5);
      compared++;
    }
    assertThat(compared).as("a CMYK (Adobe transform 0) and a YCCK (transform 2) case").isEqualTo(2);
  }

  @Test
  void findsTheFourChannelsBehindAnExifSegment() {
    // Cameras and editors put EXIF (APP1) first; the frame header is found by scanning segments.
    byte[] cmyk = ReferenceData.bytes("inputs/cmyk_8x8.jpg");
    byte[] exif = {(byte) 0xff, (byte) 0xe1, 0, 8, 'E', 'x', 'i', 'f', 0, 0};
    byte[] withExif = new byte[cmyk.length + exif.length];
    System.arraycopy(cmyk, 0, withExif, 0, 2);
    System.arraycopy(exif, 0, withExif, 2, exif.length);
    System.arraycopy(cmyk, 2, withExif, 2 + exif.length, cmyk.length - 2);
    assertThat(decoder.decode(withExif)).isEqualTo(decoder.decode(cmyk));
  }

  @Test
  void refusesATruncatedCmykJpeg() {
    byte[] cmyk = ReferenceData.bytes("inputs/ycck_24x16.jpg");
    // Cut inside the scan data.
    assertThatThrownBy(() -> decoder.decode(java.util.Arrays.copyOf(cmyk, cmyk.length - 40)))
        .isInstanceOfSatisfying(
            ImageException.class,
            e -> assertThat(e.reason()).isEqualTo(ImageException.Reason.TRUNCATED));
  }

  @Test
  void refusesEmptyData() {
    assertRefused(new byte[0], ImageException.Reason.UNDECODABLE, "empty");
  }

  @Test
  void refusesRandomBytes() {
    byte[] data = new byte[4096];
    new Random(7).nextBytes(data);
    data[0] = 0x13; // no image signature starts with this byte
    assertRefused(data, ImageException.Reason.UNDECODABLE, "not a recognised image");
  }

  @Test
  void refusesGarbageAfterAPngSignature() {
    byte[] data = new byte[512];
    new Random(11).nextBytes(data);
    System.arraycopy(pngSignature(), 0, data, 0, 8);
    assertRefused(data, ImageException.Reason.UNDECODABLE, "PNG");
  }

  @Test
  void refusesTruncatedPng() {
    byte[] png = ReferenceData.bytes("inputs/banded_333x77.png");
    byte[] truncated = Arrays.copyOf(png, png.length / 2);
    assertRefused(truncated, ImageException.Reason.TRUNCATED, "PNG");
  }

  @Test
  void refusesPngCutInsideTheHeader() {
    byte[] png = ReferenceData.bytes("inputs/noise_32x32.png");
    assertRefused(Arrays.copyOf(png, 20), ImageException.Reason.TRUNCATED, "PNG");
  }

  @Test
  void refusesTruncatedJpeg() {
    byte[] jpeg = ReferenceData.bytes("inputs/photo_64x48.jpg");
    byte[] truncated = Arrays.copyOf(jpeg, jpeg.length * 2 / 3);
    assertRefused(truncated, ImageException.Reason.TRUNCATED, "JPEG");
  }

  @Test
  void refusesMoreBytesThanTheLimit() {
    byte[] png = ReferenceData.bytes("inputs/noise_32x32.png");
    ImageDecoder small = new ImageDecoder(png.length - 1, 1 << 20);
    assertRefused(png, small, ImageException.Reason.TOO_LARGE_BYTES,
        png.length + " bytes, the limit is " + (png.length - 1));
    assertThat(new ImageDecoder(png.length, 1 << 20).decode(png).width()).isEqualTo(32);
  }

  @Test
  void refusesMorePixelsThanTheLimit() {
    byte[] png = ReferenceData.bytes("inputs/noise_32x32.png");
    ImageDecoder small = new ImageDecoder(1 << 20, 32 * 32 - 1);
    assertRefused(png, small, ImageException.Reason.TOO_MANY_PIXELS,
        "32x32 = 1024 pixels, the limit is 1023");
    assertThat(new ImageDecoder(1 << 20, 32 * 32).decode(png).height()).isEqualTo(32);
  }

  /** 60000 x 60000 RGBA would need 14 GB: refused from the header before any raster exists. */
  @Test
  @Timeout(5)
  void refusesDecompressionBombFromItsHeader() {
    byte[] bomb = pngWithHeaderOnly(60_000, 60_000);
    assertThat(bomb.length).isLessThan(200);
    assertRefused(bomb, new ImageDecoder(1 << 20, 50_000_000), ImageException.Reason.TOO_MANY_PIXELS,
        "60000x60000 = 3600000000 pixels, the limit is 50000000");
  }

  @Test
  void refusesKnownButUnsupportedFormats() {
    byte[] webp = "RIFF\0\0\0\0WEBPVP8 ".getBytes(StandardCharsets.ISO_8859_1);
    assertRefused(webp, ImageException.Reason.UNSUPPORTED, "WebP images are not supported");
    byte[] tiff = {'I', 'I', 42, 0, 8, 0, 0, 0};
    assertRefused(tiff, ImageException.Reason.UNSUPPORTED, "TIFF");
  }

  @Test
  void rejectsNonPositiveLimits() {
    assertThatThrownBy(() -> new ImageDecoder(0, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ImageDecoder(1, -1)).isInstanceOf(IllegalArgumentException.class);
  }

  private void assertRefused(byte[] data, ImageException.Reason reason, String message) {
    assertRefused(data, decoder, reason, message);
  }

  private static void assertRefused(
      byte[] data, ImageDecoder decoder, ImageException.Reason reason, String message) {
    assertThatThrownBy(() -> decoder.decode(data))
        .isInstanceOfSatisfying(ImageException.class, e -> assertThat(e.reason()).isEqualTo(reason))
        .hasMessageContaining(message);
  }

  private static byte[] pngSignature() {
    return new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  }

  /** A PNG whose IHDR declares the given size, followed by one tiny IDAT and IEND. */
  private static byte[] pngWithHeaderOnly(int width, int height) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(pngSignature());
    ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height);
    ihdr.put((byte) 8).put((byte) 6).put((byte) 0).put((byte) 0).put((byte) 0);
    writeChunk(out, "IHDR", ihdr.array());
    Deflater deflater = new Deflater();
    deflater.setInput(new byte[64]);
    deflater.finish();
    byte[] idat = new byte[128];
    int length = deflater.deflate(idat);
    writeChunk(out, "IDAT", Arrays.copyOf(idat, length));
    writeChunk(out, "IEND", new byte[0]);
    return out.toByteArray();
  }

  private static void writeChunk(ByteArrayOutputStream out, String type, byte[] data) {
    byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
    out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
    out.writeBytes(typeBytes);
    out.writeBytes(data);
    CRC32 crc = new CRC32();
    crc.update(typeBytes);
    crc.update(data);
    out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }
}
