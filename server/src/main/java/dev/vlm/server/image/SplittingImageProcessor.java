package dev.vlm.server.image;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The Idefics3 / SmolVLM image processor as Python transformers runs it with its PIL backend
 * (the models' own preprocessing): scale the longest edge to {@code size.longest_edge}, then
 * either scale the image up to whole multiples of {@code max_image_size.longest_edge} and cut it
 * into square tiles plus one scaled-down global frame, or scale it to one square frame. Every
 * resize is PIL's, on the 8-bit image, with the configured filter (LANCZOS for the real models);
 * rescaling and normalization come last, per frame.
 *
 * <p>transformers.js differs: it resamples the normalized float tensor bilinearly after the first
 * resize, so its frames differ from these wherever an image is resized again (every global frame,
 * every image whose sides are not multiples of the frame size).
 *
 * <p>Immutable and thread-safe.
 */
public final class SplittingImageProcessor {
  /** Python's cap on either side after the first resize (4k). */
  private static final int MAX_SIDE = 4096;
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
    double[] half = {0.5, 0.5, 0.5};
    ChannelNormalizer normalizer = config.normalizer(half, half);
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
    RgbImage resized = resizeLongestEdge(image);
    if (!split) {
      return new ImageTiles(0, 0, List.of(normalize(Resizer.resize(resized, frameSize, frameSize, filter))));
    }
    RgbImage grid = resizeToFrameMultiples(resized);
    if (grid.width() <= frameSize && grid.height() <= frameSize) {
      return new ImageTiles(0, 0, List.of(normalize(grid)));
    }
    int rows = grid.height() / frameSize;
    int cols = grid.width() / frameSize;
    List<PlanarImage> frames = new ArrayList<>(rows * cols + 1);
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        frames.add(normalize(ImageOps.crop(grid, c * frameSize, r * frameSize, frameSize, frameSize)));
      }
    }
    frames.add(normalize(Resizer.resize(grid, frameSize, frameSize, filter)));
    return new ImageTiles(rows, cols, frames);
  }

  /**
   * Python's {@code resize_for_vision_encoder}: the longer side up to the next multiple of the
   * frame size, the other side from the aspect ratio (truncated), then up to its next multiple.
   */
  private RgbImage resizeToFrameMultiples(RgbImage image) {
    int width = image.width();
    int height = image.height();
    double aspect = (double) width / height;
    if (width >= height) {
      width = roundUp(width);
      height = roundUp((int) (width / aspect));
    } else {
      height = roundUp(height);
      width = roundUp((int) (height * aspect));
    }
    return Resizer.resize(image, width, height, filter);
  }

  /** The next multiple of the frame size, at least one frame. */
  private int roundUp(int length) {
    return Math.max(1, (length + frameSize - 1) / frameSize) * frameSize;
  }

  /**
   * Python's {@code get_resize_output_image_size}: the longer side becomes {@code longestEdge}
   * (up or down), the other follows the aspect ratio, truncated and then made even; both are
   * capped at {@value #MAX_SIDE} and at least 1.
   */
  private RgbImage resizeLongestEdge(RgbImage image) {
    if (longestEdge <= 0) {
      return image;
    }
    int width = image.width();
    int height = image.height();
    double aspect = (double) width / height;
    if (width >= height) {
      width = longestEdge;
      height = evenUp((int) (width / aspect));
    } else {
      height = longestEdge;
      width = evenUp((int) (height * aspect));
    }
    aspect = (double) width / height;
    if (width >= height && width > MAX_SIDE) {
      width = MAX_SIDE;
      height = (int) (width / aspect);
    } else if (height > width && height > MAX_SIDE) {
      height = MAX_SIDE;
      width = (int) (height * aspect);
    }
    return Resizer.resize(image, Math.max(1, width), Math.max(1, height), filter);
  }

  private static int evenUp(int length) {
    return length % 2 == 0 ? length : length + 1;
  }

  private PlanarImage normalize(RgbImage image) {
    return new PlanarImage(image.width(), image.height(), normalizer.toChw(image));
  }
}
