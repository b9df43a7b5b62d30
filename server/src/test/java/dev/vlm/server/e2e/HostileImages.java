package dev.vlm.server.e2e;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;

/**
 * Image files of shapes no camera makes, written byte by byte so that a 10,000,000x1 image is a
 * few kilobytes: the shapes that break preprocessing, not the decoder.
 */
final class HostileImages {
  private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

  private HostileImages() {}

  /** An 8-bit RGB PNG of one mid-gray colour, every row filtered with "none". */
  static byte[] grayPng(int width, int height) {
    ByteArrayOutputStream pixels = new ByteArrayOutputStream();
    // A stream given its own Deflater does not end it: end it here, or its native memory stays
    // until the collector runs (and the fuzz run would read the client's garbage as the server's).
    Deflater deflater = new Deflater(9);
    try (DeflaterOutputStream deflate = new DeflaterOutputStream(pixels, deflater)) {
      byte[] row = new byte[1 + width * 3];
      java.util.Arrays.fill(row, 1, row.length, (byte) 0x80);
      for (int y = 0; y < height; y++) {
        deflate.write(row);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      deflater.end();
    }
    return png(width, height, 8, 2, pixels.toByteArray());
  }

  /** A PNG whose header declares {@code width x height} but whose pixel data is a few bytes. */
  static byte[] pngClaiming(int width, int height) {
    ByteArrayOutputStream pixels = new ByteArrayOutputStream();
    try (DeflaterOutputStream deflate = new DeflaterOutputStream(pixels)) {
      deflate.write(new byte[16]);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return png(width, height, 8, 2, pixels.toByteArray());
  }

  /** A 16-bit PNG, RGB (colour type 2) or grayscale (0), of a smooth ramp. */
  static byte[] sixteenBitPng(int width, int height, boolean rgb) {
    int samples = rgb ? 3 : 1;
    ByteArrayOutputStream pixels = new ByteArrayOutputStream();
    try (DeflaterOutputStream deflate = new DeflaterOutputStream(pixels)) {
      for (int y = 0; y < height; y++) {
        deflate.write(0);
        for (int x = 0; x < width * samples; x++) {
          int v = (x * 65535 / Math.max(1, width * samples - 1)) ^ (y * 257);
          deflate.write(v >>> 8);
          deflate.write(v);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return png(width, height, 16, rgb ? 2 : 0, pixels.toByteArray());
  }

  /** A two-frame animated GIF written by the JDK's encoder. */
  static byte[] animatedGif(int width, int height) {
    try {
      javax.imageio.ImageWriter writer = javax.imageio.ImageIO.getImageWritersByFormatName("gif").next();
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (javax.imageio.stream.ImageOutputStream out = javax.imageio.ImageIO.createImageOutputStream(bytes)) {
        writer.setOutput(out);
        writer.prepareWriteSequence(null);
        for (int frame = 0; frame < 2; frame++) {
          java.awt.image.BufferedImage image =
              new java.awt.image.BufferedImage(width, height, java.awt.image.BufferedImage.TYPE_INT_RGB);
          for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
              image.setRGB(x, y, (x * 7 + y * 13 + frame * 101) * 0x010101 & 0xffffff);
            }
          }
          writer.writeToSequence(new javax.imageio.IIOImage(image, null, null), null);
        }
        writer.endWriteSequence();
      } finally {
        writer.dispose();
      }
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A baseline JPEG whose frame header declares four components with an Adobe marker, as CMYK
   * files do; the scan data is not a real image, so decoders must refuse it cleanly.
   */
  static byte[] cmykJpegHeader(int width, int height) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0xff, (byte) 0xd8});
    // APP14 "Adobe" with transform 0 (CMYK).
    out.writeBytes(new byte[] {(byte) 0xff, (byte) 0xee, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 0});
    // SOF0: 8-bit precision, height, width, 4 components each sampled 1x1 with table 0.
    out.writeBytes(new byte[] {(byte) 0xff, (byte) 0xc0, 0, 20, 8,
        (byte) (height >> 8), (byte) height, (byte) (width >> 8), (byte) width, 4,
        1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0, 4, 0x11, 0});
    out.writeBytes(new byte[] {(byte) 0xff, (byte) 0xd9});
    return out.toByteArray();
  }

  /**
   * Real four-channel JPEGs from the image reference data: a CMYK one as PIL writes it and a YCCK
   * one as Photoshop writes CMYK, both decoded by the server (see {@code FourChannelJpeg}).
   */
  static final java.util.List<byte[]> FOUR_CHANNEL_JPEGS =
      java.util.List.of(resource("/image/inputs/cmyk_8x8.jpg"), resource("/image/inputs/ycck_24x16.jpg"));

  private static byte[] resource(String path) {
    try (var in = HostileImages.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource " + path);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A PNG with the given bit depth and colour type over already-compressed pixel data. */
  static byte[] png(int width, int height, int bitDepth, int colourType, byte[] idat) {
    try {
      ByteArrayOutputStream file = new ByteArrayOutputStream();
      file.write(SIGNATURE);
      ByteArrayOutputStream header = new ByteArrayOutputStream();
      DataOutputStream h = new DataOutputStream(header);
      h.writeInt(width);
      h.writeInt(height);
      h.writeByte(bitDepth);
      h.writeByte(colourType);
      h.writeByte(0);
      h.writeByte(0);
      h.writeByte(0);
      chunk(file, "IHDR", header.toByteArray());
      chunk(file, "IDAT", idat);
      chunk(file, "IEND", new byte[0]);
      return file.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void chunk(ByteArrayOutputStream file, String type, byte[] data) throws IOException {
    DataOutputStream out = new DataOutputStream(file);
    byte[] name = type.getBytes(StandardCharsets.US_ASCII);
    out.writeInt(data.length);
    out.write(name);
    out.write(data);
    CRC32 crc = new CRC32();
    crc.update(name);
    crc.update(data);
    out.writeInt((int) crc.getValue());
  }
}
