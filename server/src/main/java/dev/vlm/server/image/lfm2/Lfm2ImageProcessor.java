package dev.vlm.server.image.lfm2;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vlm.server.image.ChannelNormalizer;
import dev.vlm.server.image.FixedPoint;
import dev.vlm.server.image.PlanarImage;
import dev.vlm.server.image.ResampleFilter;
import dev.vlm.server.image.Resizer;
import dev.vlm.server.image.RgbImage;
import java.util.ArrayList;
import java.util.List;

/**
 * LFM2-VL image preprocessing as Python transformers' {@code Lfm2VlImageProcessor} does it (the
 * model's only image processor there, on the torchvision backend): the 8-bit image is resized
 * with torchvision's antialiased resize ({@link FixedPoint#TORCH_INT16}, the {@code resample}
 * filter of the config, bilinear by default) to one tile, or to a grid of square tiles followed
 * by a thumbnail resized from the original; then rescaled and normalized. transformers.js
 * normalizes first and resizes the floats without antialiasing, which agrees only when no
 * resampling or an exact halving is needed; the server follows Python.
 *
 * <p>Immutable and thread-safe.
 */
public final class Lfm2ImageProcessor {
  private final Lfm2TileSettings settings;
  private final ChannelNormalizer normalizer;
  private final ResampleFilter filter;

  /**
   * @param settings the tiling settings
   * @param normalizer the rescale and normalization
   * @param filter the resampling filter, bilinear or bicubic (the two torchvision resizes 8-bit
   *     images with natively)
   * @throws IllegalArgumentException for another filter
   */
  public Lfm2ImageProcessor(Lfm2TileSettings settings, ChannelNormalizer normalizer, ResampleFilter filter) {
    if (filter != ResampleFilter.BILINEAR && filter != ResampleFilter.BICUBIC) {
      throw new IllegalArgumentException("LFM2-VL resample " + filter.pilCode() + " (" + filter
          + ") is not supported; the processor resizes with 2 (bilinear) or 3 (bicubic)");
    }
    this.settings = settings;
    this.normalizer = normalizer;
    this.filter = filter;
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
    ResampleFilter filter = ResampleFilter.fromPilCode(config.path("resample").asInt(ResampleFilter.BILINEAR.pilCode()));
    return new Lfm2ImageProcessor(Lfm2TileSettings.fromConfig(config), new ChannelNormalizer(rescale, mean, std), filter);
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
    List<PlanarImage> tiles = new ArrayList<>();
    if (layout.tiled()) {
      int tile = settings.tileSize();
      PlanarImage grid = resized(image, layout.cols() * tile, layout.rows() * tile);
      for (int r = 0; r < layout.rows(); r++) {
        for (int c = 0; c < layout.cols(); c++) {
          tiles.add(grid.crop(c * tile, r * tile, tile, tile));
        }
      }
      if (settings.useThumbnail()) {
        tiles.add(resized(image, layout.resizedWidth(), layout.resizedHeight()));
      }
    } else {
      tiles.add(resized(image, layout.resizedWidth(), layout.resizedHeight()));
    }
    return new Lfm2Image(layout, tiles);
  }

  private PlanarImage resized(RgbImage image, int width, int height) {
    RgbImage resized = Resizer.resize(image, width, height, filter, FixedPoint.TORCH_INT16);
    return new PlanarImage(width, height, normalizer.toChw(resized));
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
