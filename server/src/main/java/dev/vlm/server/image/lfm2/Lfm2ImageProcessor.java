package dev.vlm.server.image.lfm2;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vlm.server.image.ChannelNormalizer;
import dev.vlm.server.image.HalfPixelBilinear;
import dev.vlm.server.image.PlanarImage;
import dev.vlm.server.image.RgbImage;
import java.util.ArrayList;
import java.util.List;

/**
 * LFM2-VL image preprocessing as transformers.js does it: rescale and normalize first, then
 * resize the float image (ONNX {@code Resize} linear, half-pixel, no antialias) to one tile, or
 * to a grid of square tiles followed by a thumbnail. Python resizes the 8-bit image with
 * antialiasing instead; the two agree when no resampling or an exact halving is needed.
 *
 * <p>Immutable and thread-safe.
 */
public final class Lfm2ImageProcessor {
  private final Lfm2TileSettings settings;
  private final ChannelNormalizer normalizer;

  /**
   * @param settings the tiling settings
   * @param normalizer the rescale and normalization
   */
  public Lfm2ImageProcessor(Lfm2TileSettings settings, ChannelNormalizer normalizer) {
    this.settings = settings;
    this.normalizer = normalizer;
  }

  /**
   * Reads the processor from its configuration.
   *
   * @param config the parsed {@code preprocessor_config.json}
   * @return the processor
   * @throws IllegalArgumentException if a setting is invalid
   */
  public static Lfm2ImageProcessor fromConfig(JsonNode config) {
    double rescale = config.path("do_rescale").asBoolean(true) ? config.path("rescale_factor").asDouble(1 / 255.0) : 1;
    boolean normalize = config.path("do_normalize").asBoolean(true);
    double[] mean = normalize ? triple(config.path("image_mean"), 0.5) : new double[] {0, 0, 0};
    double[] std = normalize ? triple(config.path("image_std"), 0.5) : new double[] {1, 1, 1};
    return new Lfm2ImageProcessor(Lfm2TileSettings.fromConfig(config), new ChannelNormalizer(rescale, mean, std));
  }

  private static double[] triple(JsonNode node, double fallback) {
    if (node.isMissingNode() || node.isNull()) {
      return new double[] {fallback, fallback, fallback};
    }
    if (node.isNumber()) {
      return new double[] {node.asDouble(), node.asDouble(), node.asDouble()};
    }
    if (!node.isArray() || node.size() != 3) {
      throw new IllegalArgumentException("image_mean and image_std need 3 values, got " + node);
    }
    return new double[] {node.get(0).asDouble(), node.get(1).asDouble(), node.get(2).asDouble()};
  }

  /** The tiling settings. */
  public Lfm2TileSettings settings() {
    return settings;
  }

  /**
   * Preprocesses one image.
   *
   * @param image the decoded RGB image
   * @return its layout and tiles (grid tiles row by row, then the thumbnail)
   * @throws dev.vlm.server.image.ImageException if the image's aspect ratio is too extreme
   */
  public Lfm2Image process(RgbImage image) {
    Lfm2TileLayout layout = Lfm2TileLayout.choose(image.height(), image.width(), settings);
    PlanarImage normalized = new PlanarImage(image.width(), image.height(), normalizer.toChw(image));
    List<PlanarImage> tiles = new ArrayList<>();
    if (layout.tiled()) {
      int tile = settings.tileSize();
      PlanarImage grid = HalfPixelBilinear.resize(normalized, layout.cols() * tile, layout.rows() * tile);
      for (int r = 0; r < layout.rows(); r++) {
        for (int c = 0; c < layout.cols(); c++) {
          tiles.add(grid.crop(c * tile, r * tile, tile, tile));
        }
      }
      if (settings.useThumbnail()) {
        tiles.add(HalfPixelBilinear.resize(normalized, layout.resizedWidth(), layout.resizedHeight()));
      }
    } else {
      tiles.add(HalfPixelBilinear.resize(normalized, layout.resizedWidth(), layout.resizedHeight()));
    }
    return new Lfm2Image(layout, tiles);
  }

  /**
   * One preprocessed image.
   *
   * @param layout the chosen geometry
   * @param tiles normalized tiles in prompt order: grid row by row, then the thumbnail if any
   */
  public record Lfm2Image(Lfm2TileLayout layout, List<PlanarImage> tiles) {
    /** Copies the tile list. */
    public Lfm2Image {
      tiles = List.copyOf(tiles);
    }
  }
}
