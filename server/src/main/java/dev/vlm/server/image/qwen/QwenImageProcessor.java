package dev.vlm.server.image.qwen;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vlm.server.image.ChannelNormalizer;
import dev.vlm.server.image.ImageException;
import dev.vlm.server.image.ImageSize;
import dev.vlm.server.image.ResampleFilter;
import dev.vlm.server.image.Resizer;
import dev.vlm.server.image.RgbImage;
import java.util.Objects;

/**
 * Qwen2-VL / Qwen2.5-VL image preprocessing, as Python's {@code Qwen2VLImageProcessor} does it
 * for one still image: resize to {@link SmartResize}'s size (PIL resampling), rescale and
 * normalize, repeat the frame {@code temporalPatch} times, and cut into patches ordered merge
 * block by merge block.
 *
 * <p>Several images of one request are processed one by one and their rows concatenated, as
 * Python does (transformers.js would stack them into one video). Thread-safe: immutable.
 */
public final class QwenImageProcessor {
  private static final double[] OPENAI_CLIP_MEAN = {0.48145466, 0.4578275, 0.40821073};
  private static final double[] OPENAI_CLIP_STD = {0.26862954, 0.26130258, 0.27577711};
  private static final int CHANNELS = 3;

  private final int patch;
  private final int temporalPatch;
  private final int merge;
  private final int minPixels;
  private final int maxPixels;
  private final boolean resize;
  private final ResampleFilter filter;
  private final ChannelNormalizer normalizer;

  /**
   * Creates a processor.
   *
   * @param patch patch side in pixels
   * @param temporalPatch frames per temporal patch (a still image is repeated this often)
   * @param merge patches per merge-block side
   * @param minPixels least area after resizing
   * @param maxPixels largest area after resizing
   * @param resize whether to resize at all (without it, sides must already be multiples of {@code patch * merge})
   * @param filter the resampling filter
   * @param normalizer rescaling and normalization
   * @throws IllegalArgumentException if a size is not positive or the pixel bounds are inverted
   */
  public QwenImageProcessor(int patch, int temporalPatch, int merge, int minPixels, int maxPixels, boolean resize,
      ResampleFilter filter, ChannelNormalizer normalizer) {
    if (patch <= 0 || temporalPatch <= 0 || merge <= 0 || minPixels < 0 || maxPixels < minPixels) {
      throw new IllegalArgumentException("invalid Qwen2-VL image settings: patch " + patch + ", temporal patch "
          + temporalPatch + ", merge " + merge + ", pixels " + minPixels + ".." + maxPixels);
    }
    this.patch = patch;
    this.temporalPatch = temporalPatch;
    this.merge = merge;
    this.minPixels = minPixels;
    this.maxPixels = maxPixels;
    this.resize = resize;
    this.filter = Objects.requireNonNull(filter, "filter");
    this.normalizer = Objects.requireNonNull(normalizer, "normalizer");
  }

  /**
   * Reads the settings of a {@code preprocessor_config.json}. Missing flags default as in
   * Python (resize, rescale and normalize on), since the first published Qwen2-VL config states
   * none of them; {@code min_pixels}/{@code max_pixels} fall back to
   * {@code size.shortest_edge}/{@code size.longest_edge}, then to Python's defaults.
   *
   * @param config the JSON object
   * @return the processor
   * @throws IllegalArgumentException if a field has the wrong type or value (the message names it)
   */
  public static QwenImageProcessor fromConfig(JsonNode config) {
    int patch = integer(config, "patch_size", 14);
    int temporal = integer(config, "temporal_patch_size", 2);
    int merge = integer(config, "merge_size", 2);
    JsonNode size = config.path("size");
    int minPixels = integer(config, "min_pixels", integer(size, "shortest_edge", 56 * 56));
    int maxPixels = integer(config, "max_pixels", integer(size, "longest_edge", 28 * 28 * 1280));
    double rescale = bool(config, "do_rescale") ? number(config, "rescale_factor", 1 / 255.0) : 1.0;
    ChannelNormalizer normalizer = bool(config, "do_normalize")
        ? new ChannelNormalizer(rescale, perChannel(config, "image_mean", OPENAI_CLIP_MEAN),
            perChannel(config, "image_std", OPENAI_CLIP_STD))
        : new ChannelNormalizer(rescale, new double[] {0, 0, 0}, new double[] {1, 1, 1});
    return new QwenImageProcessor(patch, temporal, merge, minPixels, maxPixels, bool(config, "do_resize"),
        ResampleFilter.fromPilCode(integer(config, "resample", 3)), normalizer);
  }

  /** Patch side times merge size: the multiple both image sides are brought to. */
  public int factor() {
    return patch * merge;
  }

  /** Patches per merge-block side. */
  public int mergeSize() {
    return merge;
  }

  /** Values per patch row: {@code 3 * temporalPatch * patch * patch}. */
  public int rowWidth() {
    return CHANNELS * temporalPatch * patch * patch;
  }

  /**
   * Preprocesses one image.
   *
   * @param image the image, already RGB
   * @return its patch matrix and grid
   * @throws ImageException UNSUPPORTED if its aspect ratio exceeds 200 or it
   *     is too small to cut into patches
   */
  public QwenPixels process(RgbImage image) {
    Objects.requireNonNull(image, "image");
    RgbImage sized = image;
    if (resize) {
      ImageSize target = SmartResize.target(image.height(), image.width(), factor(), minPixels, maxPixels);
      sized = Resizer.resize(image, target.width(), target.height(), filter);
    } else if (image.height() % factor() != 0 || image.width() % factor() != 0) {
      throw new ImageException(ImageException.Reason.UNSUPPORTED,
          "image " + image.width() + "x" + image.height() + " is not a multiple of " + factor()
              + " pixels and the model's preprocessing does not resize");
    }
    GridThw grid = new GridThw(1, sized.height() / patch, sized.width() / patch);
    return new QwenPixels(patchify(normalizer.toChw(sized), sized.width(), grid), rowWidth(), grid);
  }

  /**
   * Cuts a channels-first image into patch rows. Rows go merge block by merge block (blocks row
   * major), the patches of a block consecutively (row major); a row holds, per channel and per
   * frame, the patch's pixels row major. All frames are the same image.
   */
  private float[] patchify(float[] chw, int width, GridThw grid) {
    int plane = chw.length / CHANNELS;
    float[] out = new float[grid.patches() * rowWidth()];
    int o = 0;
    for (int blockRow = 0; blockRow < grid.h() / merge; blockRow++) {
      for (int blockCol = 0; blockCol < grid.w() / merge; blockCol++) {
        for (int inRow = 0; inRow < merge; inRow++) {
          for (int inCol = 0; inCol < merge; inCol++) {
            int top = (blockRow * merge + inRow) * patch;
            int left = (blockCol * merge + inCol) * patch;
            for (int c = 0; c < CHANNELS; c++) {
              for (int frame = 0; frame < temporalPatch; frame++) {
                for (int y = 0; y < patch; y++) {
                  System.arraycopy(chw, c * plane + (top + y) * width + left, out, o, patch);
                  o += patch;
                }
              }
            }
          }
        }
      }
    }
    return out;
  }

  private static int integer(JsonNode config, String field, int fallback) {
    JsonNode value = config.path(field);
    if (value.isMissingNode() || value.isNull()) {
      return fallback;
    }
    if (!value.canConvertToInt() || !value.isIntegralNumber() || value.asInt() < 0) {
      throw invalid(field, "a non-negative integer", value);
    }
    return value.asInt();
  }

  private static boolean bool(JsonNode config, String field) {
    JsonNode value = config.path(field);
    if (value.isMissingNode() || value.isNull()) {
      return true;
    }
    if (!value.isBoolean()) {
      throw invalid(field, "true or false", value);
    }
    return value.asBoolean();
  }

  private static double number(JsonNode config, String field, double fallback) {
    JsonNode value = config.path(field);
    if (value.isMissingNode() || value.isNull()) {
      return fallback;
    }
    if (!value.isNumber()) {
      throw invalid(field, "a number", value);
    }
    return value.asDouble();
  }

  private static double[] perChannel(JsonNode config, String field, double[] fallback) {
    JsonNode value = config.path(field);
    if (value.isMissingNode() || value.isNull()) {
      return fallback.clone();
    }
    if (!value.isArray() || value.size() != CHANNELS) {
      throw invalid(field, "a list of 3 numbers", value);
    }
    double[] out = new double[CHANNELS];
    for (int c = 0; c < CHANNELS; c++) {
      if (!value.get(c).isNumber()) {
        throw invalid(field, "a list of 3 numbers", value);
      }
      out[c] = value.get(c).asDouble();
    }
    return out;
  }

  private static IllegalArgumentException invalid(String field, String expected, JsonNode value) {
    return new IllegalArgumentException(
        "preprocessor_config.json field '" + field + "' must be " + expected + ", got " + value);
  }
}
