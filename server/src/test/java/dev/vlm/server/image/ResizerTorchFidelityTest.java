package dev.vlm.server.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * {@link FixedPoint#TORCH_INT16} reproduces torchvision 0.28's {@code resize} of a uint8 tensor
 * (torch 2.13, CPU, {@code antialias=True}) bit for bit. The digests were recorded from
 * torchvision on the same synthetic image; the PIL rule gives other pixels on both, so the test
 * tells the two rules apart. PythonPixelParityTest checks the rule through LFM2-VL's processor.
 */
class ResizerTorchFidelityTest {
  private static final int WIDTH = 23;
  private static final int HEIGHT = 17;

  @Test
  void bilinearDownscaleMatchesTorchvision() {
    RgbImage torch = Resizer.resize(image(), 10, 6, ResampleFilter.BILINEAR, FixedPoint.TORCH_INT16);

    assertThat(sha256(torch.rgb())).isEqualTo("34e6e3bb5ed2e7976c5ab5fdd02ec3aa8c6e65b6966a377b57e7307bd476041c");
    assertThat(Resizer.resize(image(), 10, 6, ResampleFilter.BILINEAR)).isNotEqualTo(torch);
  }

  @Test
  void bicubicMixedScaleMatchesTorchvision() {
    RgbImage torch = Resizer.resize(image(), 31, 9, ResampleFilter.BICUBIC, FixedPoint.TORCH_INT16);

    assertThat(sha256(torch.rgb())).isEqualTo("3e0dfab87d15556d19ecea1a39139163d462304e816469f5daea8f6df58d0a51");
    assertThat(Resizer.resize(image(), 31, 9, ResampleFilter.BICUBIC)).isNotEqualTo(torch);
  }

  @Test
  void torchKeepsTheLargestWeightWithinSixteenBits() {
    assertThat(FixedPoint.TORCH_INT16.fractionalBits(1.0)).isEqualTo(14);
    assertThat(FixedPoint.TORCH_INT16.fractionalBits(0.5)).isEqualTo(15);
    assertThat(FixedPoint.TORCH_INT16.fractionalBits(1e-9)).isEqualTo(22);
    assertThat(FixedPoint.PIL.fractionalBits(1.0)).isEqualTo(22);
  }

  /** The image the digests were recorded on: a pattern with every level present. */
  private static RgbImage image() {
    byte[] rgb = new byte[WIDTH * HEIGHT * 3];
    for (int y = 0; y < HEIGHT; y++) {
      for (int x = 0; x < WIDTH; x++) {
        for (int c = 0; c < 3; c++) {
          rgb[(y * WIDTH + x) * 3 + c] = (byte) ((x * 37 + y * 91 + c * 53 + (x * y) % 7 * 11) % 256);
        }
      }
    }
    return new RgbImage(WIDTH, HEIGHT, rgb);
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
