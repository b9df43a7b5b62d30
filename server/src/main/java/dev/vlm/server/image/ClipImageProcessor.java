package dev.vlm.server.image;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * The image processor of CLIP-style vision towers (Hugging Face's {@code CLIPImageProcessor},
 * used by LLaVA and others), configured from {@code preprocessor_config.json}: resize (shortest
 * edge keeping the aspect ratio, or an exact size) with a PIL filter, centre crop with black
 * padding, rescale, normalize; output float32 channels-first.
 *
 * <p>Fields read, with CLIPImageProcessor's defaults: {@code do_resize} (true), {@code size}
 * ({@code {"shortest_edge": 224}}), {@code resample} (3, bicubic), {@code do_center_crop} (true),
 * {@code crop_size} (224), {@code do_rescale} (true), {@code rescale_factor} (1/255),
 * {@code do_normalize} (true), {@code image_mean} and {@code image_std} (OpenAI CLIP's). {@code
 * do_convert_rgb} is accepted and needs no action: {@link RgbImage}s are already converted as
 * PIL's {@code convert("RGB")} would.
 *
 * <p>Immutable and thread-safe.
 */
public final class ClipImageProcessor {
  private static final double[] OPENAI_CLIP_MEAN = {0.48145466, 0.4578275, 0.40821073};
  private static final double[] OPENAI_CLIP_STD = {0.26862954, 0.26130258, 0.27577711};

  private final ResizeTarget resize;
  private final ResampleFilter filter;
  private final ImageSize crop;
  private final ChannelNormalizer normalizer;
  private final ImageSize output;

  private ClipImageProcessor(
      ResizeTarget resize, ResampleFilter filter, ImageSize crop, ChannelNormalizer normalizer) {
    this.resize = resize;
    this.filter = filter;
    this.crop = crop;
    this.normalizer = normalizer;
    if (crop != null) {
      this.output = crop;
    } else if (resize instanceof ResizeTarget.Exact exact) {
      this.output = exact.size();
    } else {
      throw new IllegalArgumentException(
          "preprocessor_config.json gives no fixed output size: a CLIP vision tower needs"
              + " do_center_crop with crop_size, or size with height and width");
    }
  }

  /**
   * Builds the processor from a parsed {@code preprocessor_config.json}.
   *
   * @param preprocessorConfig the JSON object
   * @return the processor
   * @throws IllegalArgumentException if a field has the wrong type or value (the message names
   *     it), or the output size would depend on the input
   */
  public static ClipImageProcessor fromConfig(JsonNode preprocessorConfig) {
    ConfigFields config = new ConfigFields(preprocessorConfig);
    ResizeTarget resize =
        config.bool("do_resize", true)
            ? config.size("size", new ResizeTarget.ShortestEdge(224), false)
            : null;
    ResampleFilter filter = ResampleFilter.fromPilCode(config.integer("resample", 3));
    ImageSize crop = null;
    if (config.bool("do_center_crop", true)) {
      ResizeTarget cropSize =
          config.size("crop_size", new ResizeTarget.Exact(new ImageSize(224, 224)), true);
      if (!(cropSize instanceof ResizeTarget.Exact exact)) {
        throw new IllegalArgumentException(
            "preprocessor_config.json field 'crop_size' must give height and width");
      }
      crop = exact.size();
    }
    ChannelNormalizer normalizer = config.normalizer(OPENAI_CLIP_MEAN, OPENAI_CLIP_STD);
    config.bool("do_convert_rgb", true); // validated only; see class comment
    return new ClipImageProcessor(resize, filter, crop, normalizer);
  }

  /**
   * Preprocesses one image.
   *
   * @param image the image
   * @return {@code 3 * outputHeight() * outputWidth()} floats, channels first (all red, all green,
   *     all blue), ready for the vision encoder's {@code pixel_values}
   */
  public float[] process(RgbImage image) {
    Objects.requireNonNull(image, "image");
    RgbImage resized = image;
    if (resize != null) {
      ImageSize size = resize.outputFor(image.width(), image.height());
      resized = Resizer.resize(image, size.width(), size.height(), filter);
    }
    RgbImage cropped =
        crop == null ? resized : ImageOps.centerCrop(resized, crop.width(), crop.height());
    return normalizer.toChw(cropped);
  }

  /**
   * Returns the height of every processed image.
   *
   * @return rows of the output
   */
  public int outputHeight() {
    return output.height();
  }

  /**
   * Returns the width of every processed image.
   *
   * @return columns of the output
   */
  public int outputWidth() {
    return output.width();
  }
}
