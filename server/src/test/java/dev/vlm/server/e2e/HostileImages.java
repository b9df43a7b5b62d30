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
    try (DeflaterOutputStream deflate = new DeflaterOutputStream(pixels, new Deflater(9))) {
      byte[] row = new byte[1 + width * 3];
      java.util.Arrays.fill(row, 1, row.length, (byte) 0x80);
      for (int y = 0; y < height; y++) {
        deflate.write(row);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
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
