package dev.vlm.server.image;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm.server.TestData;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * EXIF orientation as PIL finds and applies it: read from a PNG eXIf chunk (big-endian, written
 * by Pillow) and a JPEG APP1 segment (little-endian), and turned upright as
 * {@code ImageOps.exif_transpose} does (expected pixels printed by Pillow 12.3 for a 3x2 image
 * whose pixels are 0..5 row by row).
 */
class ExifOrientationTest {
  private static final ImageDecoder DECODER = new ImageDecoder(1 << 20, 1 << 20);

  @Test
  void pngEXifChunkIsRead() {
    assertThat(DECODER.decode(TestData.bytes("testdata/images/exif_rot6_40x24.png")).exifOrientation()).isEqualTo(6);
    assertThat(DECODER.decode(TestData.bytes("testdata/images/exif_mirror2_36x20.png")).exifOrientation()).isEqualTo(2);
    assertThat(DECODER.decode(TestData.bytes("testdata/images/wide_50x30.png")).exifOrientation()).isEqualTo(1);
  }

  @Test
  void jpegApp1SegmentIsRead() throws IOException {
    byte[] jpeg = jpeg();
    assertThat(ExifOrientation.read(withApp1(jpeg, exifLittleEndian(8)), EncodedFormat.JPEG)).isEqualTo(8);
    assertThat(ExifOrientation.read(jpeg, EncodedFormat.JPEG)).isEqualTo(1);
    assertThat(DECODER.decode(withApp1(jpeg, exifLittleEndian(3))).exifOrientation()).isEqualTo(3);
  }

  @Test
  void malformedOrOutOfRangeExifReadsUpright() throws IOException {
    byte[] jpeg = jpeg();
    assertThat(ExifOrientation.read(withApp1(jpeg, exifLittleEndian(9)), EncodedFormat.JPEG)).isEqualTo(1);
    byte[] cut = Arrays.copyOf(exifLittleEndian(6), 14);
    assertThat(ExifOrientation.read(withApp1(jpeg, cut), EncodedFormat.JPEG)).isEqualTo(1);
  }

  @ParameterizedTest(name = "orientation {0}")
  @CsvSource({
    "1, 3, 2, 0 1 2 3 4 5",
    "2, 3, 2, 2 1 0 5 4 3",
    "3, 3, 2, 5 4 3 2 1 0",
    "4, 3, 2, 3 4 5 0 1 2",
    "5, 2, 3, 0 3 1 4 2 5",
    "6, 2, 3, 3 0 4 1 5 2",
    "7, 2, 3, 5 2 4 1 3 0",
    "8, 2, 3, 2 5 1 4 0 3",
  })
  void transposeMatchesPil(int orientation, int width, int height, String pixels) {
    byte[] rgb = new byte[18];
    for (int i = 0; i < 6; i++) {
      Arrays.fill(rgb, 3 * i, 3 * i + 3, (byte) i);
    }
    RgbImage upright = ImageOps.exifTranspose(new RgbImage(3, 2, rgb, orientation));

    assertThat(upright.width()).isEqualTo(width);
    assertThat(upright.height()).isEqualTo(height);
    assertThat(upright.exifOrientation()).isEqualTo(1);
    String[] expected = pixels.split(" ");
    for (int i = 0; i < 6; i++) {
      assertThat(upright.rgb()[3 * i]).isEqualTo(Byte.parseByte(expected[i]));
      assertThat(upright.rgb()[3 * i + 2]).isEqualTo(Byte.parseByte(expected[i]));
    }
  }

  private static byte[] jpeg() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB), "jpeg", out);
    return out.toByteArray();
  }

  /** "Exif\0\0" and a little-endian TIFF block whose IFD0 holds one Orientation entry. */
  private static byte[] exifLittleEndian(int orientation) {
    return new byte[] {
      'E', 'x', 'i', 'f', 0, 0,
      'I', 'I', 42, 0, 8, 0, 0, 0, // header, IFD0 at offset 8
      1, 0, // one entry
      0x12, 0x01, 3, 0, 1, 0, 0, 0, (byte) orientation, 0, 0, 0, // tag 0x0112, SHORT, count 1, value
      0, 0, 0, 0, // no next IFD
    };
  }

  /** The JPEG with an APP1 segment holding {@code payload} right after its SOI marker. */
  private static byte[] withApp1(byte[] jpeg, byte[] payload) {
    byte[] out = new byte[jpeg.length + 4 + payload.length];
    out[0] = jpeg[0];
    out[1] = jpeg[1];
    out[2] = (byte) 0xff;
    out[3] = (byte) 0xe1;
    out[4] = (byte) ((payload.length + 2) >> 8);
    out[5] = (byte) (payload.length + 2);
    System.arraycopy(payload, 0, out, 6, payload.length);
    System.arraycopy(jpeg, 2, out, 6 + payload.length, jpeg.length - 2);
    return out;
  }
}
