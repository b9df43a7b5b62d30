package dev.vlm.server.image.lfm2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vlm.server.image.ImageException;
import org.junit.jupiter.api.Test;

/**
 * LFM2-VL geometry as Python's Lfm2VlImageProcessor computes it (tiny fixture settings: F = 8,
 * tile 32, 4..16 tokens); the expected sizes were printed by transformers 5.18 for these inputs.
 */
class Lfm2TileLayoutTest {
  private static final Lfm2TileSettings SETTINGS = new Lfm2TileSettings(4, 2, 32, 2, 4, true, true, 4, 16, 2.0);

  @Test
  void smartResizeRoundsHalvesToEvenAsPythonDoes() {
    // round(20 / 8) is 2 in Python (halves to even); transformers.js rounds it up to 3.
    assertThat(Lfm2TileLayout.choose(20, 32, SETTINGS)).isEqualTo(new Lfm2TileLayout(16, 32, 1, 1));
    assertThat(Lfm2TileLayout.choose(44, 20, SETTINGS)).isEqualTo(new Lfm2TileLayout(48, 16, 1, 1));
  }

  @Test
  void sidesShorterThanTheFactorAreNotGrownFirst() {
    assertThat(Lfm2TileLayout.choose(5, 7, SETTINGS)).isEqualTo(new Lfm2TileLayout(16, 24, 1, 1));
    assertThat(Lfm2TileLayout.choose(3, 40, SETTINGS)).isEqualTo(new Lfm2TileLayout(8, 40, 1, 1));
  }

  @Test
  void smallImagesGrowToTheTokenMinimum() {
    assertThat(Lfm2TileLayout.choose(8, 8, SETTINGS)).isEqualTo(new Lfm2TileLayout(16, 16, 1, 1));
    assertThat(Lfm2TileLayout.choose(12, 12, SETTINGS)).isEqualTo(new Lfm2TileLayout(16, 16, 1, 1));
  }

  @Test
  void largeImagesGetTheClosestGridAndAThumbnailSize() {
    assertThat(Lfm2TileLayout.choose(64, 64, SETTINGS)).isEqualTo(new Lfm2TileLayout(32, 32, 2, 2));
    assertThat(Lfm2TileLayout.choose(32, 96, SETTINGS)).isEqualTo(new Lfm2TileLayout(16, 48, 1, 3));
    assertThat(Lfm2TileLayout.choose(200, 50, SETTINGS)).isEqualTo(new Lfm2TileLayout(64, 16, 4, 1));
  }

  @Test
  void withoutSplittingALargeImageIsOneTile() {
    Lfm2TileSettings single = new Lfm2TileSettings(4, 2, 32, 1, 1, true, true, 4, 16, 2.0);
    assertThat(Lfm2TileLayout.choose(64, 64, single)).isEqualTo(new Lfm2TileLayout(32, 32, 1, 1));
  }

  @Test
  void extremeAspectRatiosAreRefused() {
    assertThatThrownBy(() -> Lfm2TileLayout.choose(1, 5000, SETTINGS)).isInstanceOf(ImageException.class);
  }

  @Test
  void tokensCountDownsampledPatches() {
    assertThat(SETTINGS.tokens(32, 32)).isEqualTo(16);
    assertThat(SETTINGS.tokens(16, 48)).isEqualTo(12);
    assertThat(SETTINGS.maxNumPatches()).isEqualTo(64);
  }
}
