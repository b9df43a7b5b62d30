package dev.vlm.server.image;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.Objects;

/**
 * Kosmos-2.5's image processor as Python transformers runs it with its PIL backend
 * ({@code Kosmos2_5ImageProcessorPil}), Pix2Struct style: the RGB image, as float, normalized by its
 * own mean and standard deviation over all pixels and channels (the deviation at least
 * 1/sqrt(values)); resized, keeping the aspect ratio, to the largest whole number of patches that
 * fits {@code max_patches} ({@link AntialiasedBilinear}, which is what Python's
 * {@code torch.nn.functional.interpolate(bilinear, antialias=True)} does, not PIL's resize); cut
 * into patches row by row, each flattened pixel by pixel with the channels innermost and prefixed
 * with its 1-based row and column; padded with zero rows to {@code max_patches}.
 *
 * <p>Immutable and thread-safe.
 */
public final class Kosmos25ImageProcessor {
  private final int patchHeight;
  private final int patchWidth;
  private final int maxPatches;
  private final boolean normalize;

  private Kosmos25ImageProcessor(int patchHeight, int patchWidth, int maxPatches, boolean normalize) {
    this.patchHeight = patchHeight;
    this.patchWidth = patchWidth;
    this.maxPatches = maxPatches;
    this.normalize = normalize;
  }

  /**
   * Reads the processor's settings (defaults: Python's, 16x16 patches and 4096 of them).
   *
   * @param preprocessorConfig the {@code preprocessor_config.json} object
   * @return the processor
   * @throws IllegalArgumentException if a field has the wrong type or value (the message names it)
   */
  public static Kosmos25ImageProcessor fromConfig(JsonNode preprocessorConfig) {
    ConfigFields config = new ConfigFields(preprocessorConfig);
    JsonNode patch = preprocessorConfig.path("patch_size");
    int height = side(patch, "height");
    int width = side(patch, "width");
    int maxPatches = config.integer("max_patches", 4096);
    if (maxPatches <= 0) {
      throw new IllegalArgumentException("preprocessor_config.json field 'max_patches' must be positive, got " + maxPatches);
    }
    config.bool("do_convert_rgb", true); // validated only: decoding always yields RGB
    return new Kosmos25ImageProcessor(height, width, maxPatches, config.bool("do_normalize", true));
  }

  private static int side(JsonNode patch, String field) {
    if (patch.isMissingNode() || patch.isNull()) {
      return 16;
    }
    JsonNode value = patch.path(field);
    if (!value.canConvertToExactIntegral() || !value.canConvertToInt() || value.intValue() <= 0) {
      throw new IllegalArgumentException(
          "preprocessor_config.json field 'patch_size' must hold a positive integer " + field + ", got " + patch);
    }
    return value.intValue();
  }

  /** Rows of the output: the patches, real and padding. */
  public int maxPatches() {
    return maxPatches;
  }

  /** Values per patch: its row and column, then {@code 3 * patch height * patch width} pixels. */
  public int patchDepth() {
    return 2 + 3 * patchHeight * patchWidth;
  }

  /**
   * Preprocesses one image.
   *
   * @param image the image
   * @return its flattened patches
   * @throws ImageException TOO_MANY_PIXELS if resizing would need more memory than allowed
   */
  public FlattenedPatches process(RgbImage image) {
    Objects.requireNonNull(image, "image");
    PlanarImage planar = new PlanarImage(image.width(), image.height(), normalize ? standardized(image) : raw(image));
    // Python's arithmetic, in its order (doubles): the scale that makes the image max_patches patches.
    double scale = Math.sqrt(maxPatches * ((double) patchHeight / image.height()) * ((double) patchWidth / image.width()));
    int rows = Math.max(Math.min((int) Math.floor(scale * image.height() / patchHeight), maxPatches), 1);
    int cols = Math.max(Math.min((int) Math.floor(scale * image.width() / patchWidth), maxPatches), 1);
    PlanarImage sized = AntialiasedBilinear.resize(planar, cols * patchWidth, rows * patchHeight);
    int depth = patchDepth();
    float[] out = new float[maxPatches * depth];
    float[] chw = sized.chw();
    int width = sized.width();
    int plane = width * sized.height();
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        int at = (r * cols + c) * depth;
        out[at++] = r + 1;
        out[at++] = c + 1;
        for (int py = 0; py < patchHeight; py++) {
          int rowStart = (r * patchHeight + py) * width + c * patchWidth;
          for (int px = 0; px < patchWidth; px++) {
            for (int ch = 0; ch < 3; ch++) {
              out[at++] = chw[ch * plane + rowStart + px];
            }
          }
        }
      }
    }
    return new FlattenedPatches(out, maxPatches, depth, rows, cols);
  }

  private static float[] raw(RgbImage image) {
    return ChannelNormalizer.identity().toChw(image);
  }

  /**
   * numpy's per-image standardization on float32: mean and (population) deviation over every
   * value, then {@code (v - mean) / max(std, 1/sqrt(n))} in float32.
   */
  private static float[] standardized(RgbImage image) {
    float[] values = raw(image);
    double sum = 0;
    for (float v : values) {
      sum += v;
    }
    float mean = (float) (sum / values.length);
    double squares = 0;
    for (float v : values) {
      double d = v - (double) mean;
      squares += d * d;
    }
    float std = (float) Math.sqrt(squares / values.length);
    float adjusted = (float) Math.max(std, 1.0 / Math.sqrt(values.length));
    for (int i = 0; i < values.length; i++) {
      values[i] = (values[i] - mean) / adjusted;
    }
    return values;
  }

  /**
   * One image's patches.
   *
   * @param values {@code maxPatches * depth} values, row-major; rows past {@code rows * cols} are zero
   * @param maxPatches rows of {@code values}
   * @param depth values per row
   * @param rows patch rows of the resized image
   * @param cols patch columns of the resized image
   */
  public record FlattenedPatches(float[] values, int maxPatches, int depth, int rows, int cols) {
    /** Patches holding image content; the rest is padding. */
    public int realPatches() {
      return rows * cols;
    }

    /** Python's {@code attention_mask}: true for the real patches, false for the padding. */
    public boolean[] attentionMask() {
      boolean[] mask = new boolean[maxPatches];
      Arrays.fill(mask, 0, realPatches(), true);
      return mask;
    }
  }
}
