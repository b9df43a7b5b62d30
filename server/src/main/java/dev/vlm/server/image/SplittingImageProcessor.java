package dev.vlm.server.image;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The Idefics3 / SmolVLM image processor as transformers.js 4.3.1 runs it: scale the longest edge
 * to {@code size.longest_edge}, rescale and normalize, then either cut the image into square tiles
 * of {@code max_image_size.longest_edge} plus one scaled-down global frame, or scale it to one
 * square frame. Every resampling after normalization is {@link HalfPixelBilinear}, as
 * transformers.js does on its float tensors (Python resizes the uint8 image with PIL instead).
 *
 * <p>The first resize (to {@code size.longest_edge}) runs in libvips in transformers.js, which no
 * Java code reproduces; it uses the configured PIL filter here, so images whose longest edge is
 * not already that size get close to, not exactly, transformers.js' pixels.
 *
 * <p>Immutable and thread-safe.
 */
public final class SplittingImageProcessor {
  private final int longestEdge;
  private final int frameSize;
  private final boolean split;
  private final ResampleFilter filter;
  private final ChannelNormalizer normalizer;

  SplittingImageProcessor(
      int longestEdge, int frameSize, boolean split, ResampleFilter filter, ChannelNormalizer normalizer) {
    if (longestEdge <= 0 || frameSize <= 0) {
      throw new IllegalArgumentException(
          "preprocessor_config.json sizes must be positive, got size.longest_edge " + longestEdge
              + " and max_image_size.longest_edge " + frameSize);
    }
    this.longestEdge = longestEdge;
    this.frameSize = frameSize;
    this.split = split;
    this.filter = filter;
    this.normalizer = normalizer;
  }

  /**
   * Reads the processor's settings.
   *
   * @param preprocessorConfig the {@code preprocessor_config.json} object
   * @return the processor
   * @throws IllegalArgumentException if a field has the wrong type or value (the message names it)
   */
  public static SplittingImageProcessor fromConfig(JsonNode preprocessorConfig) {
    ConfigFields config = new ConfigFields(preprocessorConfig);
    int frame = longestEdge(preprocessorConfig, "max_image_size", 364);
    int longest = config.bool("do_resize", true) ? longestEdge(preprocessorConfig, "size", 4 * frame) : -1;
    double rescaleFactor = config.bool("do_rescale", true) ? config.number("rescale_factor", 1 / 255.0) : 1.0;
    double[] half = {0.5, 0.5, 0.5};
    ChannelNormalizer normalizer =
        config.bool("do_normalize", true)
            ? new ChannelNormalizer(rescaleFactor, config.perChannel("image_mean", half), config.perChannel("image_std", half))
            : new ChannelNormalizer(rescaleFactor, new double[] {0, 0, 0}, new double[] {1, 1, 1});
    ResampleFilter filter = ResampleFilter.fromPilCode(config.integer("resample", 1));
    config.bool("do_convert_rgb", true); // validated only: decoding always yields RGB
    return new SplittingImageProcessor(
        longest, frame, config.bool("do_image_splitting", true), filter, normalizer);
  }

  private static int longestEdge(JsonNode config, String field, int fallback) {
    JsonNode node = config.path(field);
    if (node.isMissingNode() || node.isNull()) {
      return fallback;
    }
    JsonNode edge = node.path("longest_edge");
    if (!edge.canConvertToExactIntegral() || !edge.canConvertToInt() || edge.intValue() <= 0) {
      throw new IllegalArgumentException(
          "preprocessor_config.json field '" + field + "' must hold a positive integer longest_edge, got " + node);
    }
    return edge.intValue();
  }

  /** Side of every output frame (the vision encoder's input size). */
  public int frameSize() {
    return frameSize;
  }

  /**
   * Preprocesses one image.
   *
   * @param image the image
   * @return its frames, each {@code frameSize()} square
   */
  public ImageTiles process(RgbImage image) {
    Objects.requireNonNull(image, "image");
    PlanarImage normalized = normalize(resizeLongestEdge(image));
    if (!split) {
      return new ImageTiles(0, 0, List.of(HalfPixelBilinear.resize(normalized, frameSize, frameSize)));
    }
    int width = normalized.width();
    int height = normalized.height();
    double aspect = (double) width / height;
    int gridWidth;
    int gridHeight;
    if (width >= height) {
      gridWidth = roundUp(width);
      gridHeight = roundUp((int) Math.floor(gridWidth / aspect));
    } else {
      gridHeight = roundUp(height);
      gridWidth = roundUp((int) Math.floor(gridHeight * aspect));
    }
    PlanarImage grid = HalfPixelBilinear.resize(normalized, gridWidth, gridHeight);
    if (gridWidth == frameSize && gridHeight == frameSize) {
      return new ImageTiles(0, 0, List.of(grid));
    }
    int rows = gridHeight / frameSize;
    int cols = gridWidth / frameSize;
    List<PlanarImage> frames = new ArrayList<>(rows * cols + 1);
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        frames.add(grid.crop(c * frameSize, r * frameSize, frameSize, frameSize));
      }
    }
    frames.add(HalfPixelBilinear.resize(grid, frameSize, frameSize));
    return new ImageTiles(rows, cols, frames);
  }

  /** The next multiple of the frame size, at least one frame. */
  private int roundUp(int length) {
    return Math.max(1, (length + frameSize - 1) / frameSize) * frameSize;
  }

  private RgbImage resizeLongestEdge(RgbImage image) {
    if (longestEdge <= 0) {
      return image;
    }
    double factor = Math.min((double) longestEdge / image.width(), (double) longestEdge / image.height());
    int width = Math.max(1, floorOfToFixed2(image.width() * factor));
    int height = Math.max(1, floorOfToFixed2(image.height() * factor));
    return Resizer.resize(image, width, height, filter);
  }

  /** {@code Math.floor(Number(x.toFixed(2)))} in JavaScript: round half up on the exact decimal value. */
  private static int floorOfToFixed2(double value) {
    return new BigDecimal(value).setScale(2, RoundingMode.HALF_UP).setScale(0, RoundingMode.FLOOR).intValueExact();
  }

  private PlanarImage normalize(RgbImage image) {
    return new PlanarImage(image.width(), image.height(), normalizer.toChw(image));
  }
}
