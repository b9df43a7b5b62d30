package dev.vlm.server.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ImageOpsTest {

  /** Every pixel's red holds 10 * (x + 1) + (y + 1), so a crop shows where it came from. */
  private static RgbImage labelled(int width, int height) {
    byte[] rgb = new byte[width * height * 3];
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int p = (y * width + x) * 3;
        rgb[p] = (byte) (10 * (x + 1) + (y + 1));
        rgb[p + 1] = (byte) 200;
        rgb[p + 2] = (byte) 100;
      }
    }
    return new RgbImage(width, height, rgb);
  }

  @Test
  void centerCropTakesTheMiddle() {
    RgbImage crop = ImageOps.centerCrop(labelled(5, 4), 3, 2);
    assertThat(crop.width()).isEqualTo(3);
    assertThat(crop.height()).isEqualTo(2);
    assertThat(crop.sample(0, 0, 0)).isEqualTo(22); // source (1, 1)
    assertThat(crop.sample(2, 1, 0)).isEqualTo(43); // source (3, 2)
  }

  @Test
  void centerCropLeavesAnOddSurplusOnTheRightAndBottom() {
    // 6 - 3 = 3 spare columns: floor(3 / 2) = 1 on the left, 2 on the right.
    RgbImage crop = ImageOps.centerCrop(labelled(6, 5), 3, 2);
    assertThat(crop.sample(0, 0, 0)).isEqualTo(22);
    assertThat(crop.sample(2, 1, 0)).isEqualTo(43);
  }

  @Test
  void centerCropLargerThanTheImagePadsWithBlackExtraOnTopAndLeft() {
    // 5 - 2 = 3 padding columns: ceil(3 / 2) = 2 on the left; 4 - 2 = 2 rows: 1 on top.
    RgbImage crop = ImageOps.centerCrop(labelled(2, 2), 5, 4);
    assertThat(crop.width()).isEqualTo(5);
    assertThat(crop.height()).isEqualTo(4);
    assertThat(crop.sample(2, 1, 0)).isEqualTo(11);
    assertThat(crop.sample(3, 2, 0)).isEqualTo(22);
    assertThat(crop.sample(3, 2, 1)).isEqualTo(200);
    for (int[] black : new int[][] {{0, 0}, {1, 1}, {4, 1}, {2, 0}, {2, 3}}) {
      for (int channel = 0; channel < 3; channel++) {
        assertThat(crop.sample(black[0], black[1], channel)).isZero();
      }
    }
  }

  @Test
  void centerCropCanPadOneAxisAndCropTheOther() {
    RgbImage crop = ImageOps.centerCrop(labelled(6, 2), 2, 4);
    assertThat(crop.sample(0, 1, 0)).isEqualTo(31); // column 2 of 6, row 0 after 1 padded row
    assertThat(crop.sample(1, 2, 0)).isEqualTo(42);
    assertThat(crop.sample(0, 0, 0)).isZero();
    assertThat(crop.sample(1, 3, 0)).isZero();
  }

  @Test
  void cropOfTheWholeImageIsTheImage() {
    RgbImage image = labelled(3, 3);
    assertThat(ImageOps.centerCrop(image, 3, 3)).isSameAs(image);
  }

  @Test
  void cropEntirelyOutsideIsBlack() {
    RgbImage crop = ImageOps.crop(labelled(3, 3), 10, -20, 2, 2);
    assertThat(crop.rgb()).containsOnly(0);
  }

  @Test
  void rejectsEmptyCrops() {
    assertThatThrownBy(() -> ImageOps.centerCrop(labelled(3, 3), 0, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0x2");
  }
}
