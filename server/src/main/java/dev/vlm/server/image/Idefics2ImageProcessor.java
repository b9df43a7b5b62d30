package dev.vlm.server.image;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The Idefics2 image processor as Python transformers runs it with its PIL backend: with
 * {@code do_image_splitting}, the image's four quarters (cut at half the width and height,
 * rounded down) and then the whole image; each frame resized on its own to fit
 * {@code size.shortest_edge .. size.longest_edge} (the longer side down to the longest edge
 * keeping the aspect ratio, then each side up to at least the shortest edge), then rescaled and
 * normalized. Frames keep their own sizes; Python pads a batch of them to one size with a pixel
 * mask, which the vision tower ignores, so each frame is its own encoder input here.
 *
 * <p>Transparency: {@code Idefics2ImageProcessor}'s own {@code convert_to_rgb} would composite
 * transparent images onto white, but {@code Idefics2Processor}, the way the model is run, first
 * loads every image with {@code load_image}, whose {@code convert("RGB")} drops alpha; so the
 * image processor never sees alpha, and neither does this one (the decoder drops it, as PIL
 * does). The golden {@code rgba_transparent_32x24} checks it. {@code load_image} also turns the
 * image upright by its EXIF orientation, and so does this processor, first
 * ({@link ImageOps#exifTranspose}); the other families' processors use the stored pixels.
 *
 * <p>Immutable and thread-safe.
 */
public final class Idefics2ImageProcessor {
  private final int shortestEdge;
  private final int longestEdge;
  private final boolean resize;
  private final boolean split;
  private final ResampleFilter filter;
  private final ChannelNormalizer normalizer;

  private Idefics2ImageProcessor(
      int shortestEdge, int longestEdge, boolean resize, boolean split, ResampleFilter filter,
      ChannelNormalizer normalizer) {
    this.shortestEdge = shortestEdge;
    this.longestEdge = longestEdge;
    this.resize = resize;
    this.split = split;
    this.filter = filter;
    this.normalizer = normalizer;
  }

  /**
   * Reads the processor's settings (defaults: Python's {@code Idefics2ImageProcessor}).
   *
   * @param preprocessorConfig the {@code preprocessor_config.json} object
   * @return the processor
   * @throws IllegalArgumentException if a field has the wrong type or value (the message names it)
   */
  public static Idefics2ImageProcessor fromConfig(JsonNode preprocessorConfig) {
    ConfigFields config = new ConfigFields(preprocessorConfig);
    JsonNode size = preprocessorConfig.path("size");
    int shortest = edge(size, "shortest_edge", 378);
    int longest = edge(size, "longest_edge", 980);
    if (shortest > longest) {
      throw new IllegalArgumentException("preprocessor_config.json field 'size' has shortest_edge " + shortest
          + " above longest_edge " + longest);
    }
    double[] half = {0.5, 0.5, 0.5};
    ChannelNormalizer normalizer = config.normalizer(half, half);
    ResampleFilter filter = ResampleFilter.fromPilCode(config.integer("resample", 2));
    config.bool("do_convert_rgb", true); // validated only: decoding always yields RGB
    return new Idefics2ImageProcessor(
        shortest, longest, config.bool("do_resize", true), config.bool("do_image_splitting", false), filter,
        normalizer);
  }

  private static int edge(JsonNode size, String field, int fallback) {
    if (size.isMissingNode() || size.isNull()) {
      return fallback;
    }
    JsonNode edge = size.path(field);
    if (!edge.canConvertToExactIntegral() || !edge.canConvertToInt() || edge.intValue() <= 0) {
      throw new IllegalArgumentException(
          "preprocessor_config.json field 'size' must hold a positive integer " + field + ", got " + size);
    }
    return edge.intValue();
  }

  /** Frames per image: five with splitting (four quarters and the whole), else one. */
  public int framesPerImage() {
    return split ? 5 : 1;
  }

  /**
   * Preprocesses one image.
   *
   * @param stored the image as decoded, turned upright here by its EXIF orientation
   * @return its frames in the model's order (quarters row by row, then the whole image)
   * @throws IllegalArgumentException if splitting is on and a side is 1 pixel (no quarters)
   */
  public List<PlanarImage> process(RgbImage stored) {
    Objects.requireNonNull(stored, "stored");
    RgbImage image = ImageOps.exifTranspose(stored);
    List<RgbImage> frames = new ArrayList<>(5);
    if (split) {
      int midX = image.width() / 2;
      int midY = image.height() / 2;
      // A side of 1 pixel has an empty half, which Python cannot process either.
      if (midX == 0 || midY == 0) {
        throw new IllegalArgumentException(
            "a " + image.width() + "x" + image.height() + " image cannot be split into quarters; send at least 2x2");
      }
      frames.add(ImageOps.crop(image, 0, 0, midX, midY));
      frames.add(ImageOps.crop(image, midX, 0, image.width() - midX, midY));
      frames.add(ImageOps.crop(image, 0, midY, midX, image.height() - midY));
      frames.add(ImageOps.crop(image, midX, midY, image.width() - midX, image.height() - midY));
    }
    frames.add(image);
    List<PlanarImage> out = new ArrayList<>(frames.size());
    for (RgbImage frame : frames) {
      RgbImage sized = resize ? fit(frame) : frame;
      out.add(new PlanarImage(sized.width(), sized.height(), normalizer.toChw(sized)));
    }
    return out;
  }

  /** Python's {@code get_resize_output_image_size} for shortest/longest edge. */
  private RgbImage fit(RgbImage image) {
    int width = image.width();
    int height = image.height();
    double aspect = (double) width / height;
    if (width >= height && width > longestEdge) {
      width = longestEdge;
      height = (int) (width / aspect);
    } else if (height > width && height > longestEdge) {
      height = longestEdge;
      width = (int) (height * aspect);
    }
    return Resizer.resize(image, Math.max(width, shortestEdge), Math.max(height, shortestEdge), filter);
  }
}
