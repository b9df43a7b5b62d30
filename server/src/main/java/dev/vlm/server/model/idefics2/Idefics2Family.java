package dev.vlm.server.model.idefics2;

import dev.vlm.server.errors.InvalidArgumentException;
import dev.vlm.server.image.Idefics2ImageProcessor;
import dev.vlm.server.image.PlanarImage;
import dev.vlm.server.image.RgbImage;
import dev.vlm.server.model.BooleanTensor;
import dev.vlm.server.model.FamilyModel;
import dev.vlm.server.model.ModelDirectory;
import dev.vlm.server.model.ModelFamily;
import dev.vlm.server.model.ModelLoadException;
import dev.vlm.server.model.PixelBatch;
import dev.vlm.server.model.PreparedImage;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Idefics2 ({@code model_type: idefics2}, HuggingFaceM4/idefics2-8b): a SigLIP-style vision tower
 * at the frame's own resolution, then a perceiver resampler that turns every frame into the same
 * number of image tokens ({@code image_seq_len}, the resampler's latents), in front of a Mistral
 * decoder. An image is one frame, or with splitting its four quarters and the whole image, each
 * frame's tokens between {@code <fake_token_around_image>} boundaries.
 *
 * <p>Frames differ in size, so each is its own encoder input ({@code pixel_values}
 * {@code [1, 1, 3, H, W]}, and an all-true {@code pixel_attention_mask} for exports that take
 * one); no padding reaches the encoder.
 */
public final class Idefics2Family implements ModelFamily {
  // Every image costs (frames) * image_seq_len prompt positions (320 for idefics2-8b with
  // splitting); five fill a good part of its 32k context already.
  private static final int MAX_IMAGES = 5;
  private static final String FAKE_TOKEN = "<fake_token_around_image>";
  private static final String MASK_INPUT = "pixel_attention_mask";

  @Override
  public String name() {
    return "idefics2";
  }

  @Override
  public Set<String> modelTypes() {
    return Set.of("idefics2");
  }

  @Override
  public FamilyModel open(ModelDirectory dir) {
    Idefics2ImageProcessor processor = dir.parse("preprocessor_config.json", Idefics2ImageProcessor::fromConfig);
    var processorConfig = dir.optionalJson("processor_config.json");
    int latents = dir.config().path("perceiver_config").path("resampler_n_latents").asInt(64);
    int tokensPerFrame = processorConfig.path("image_seq_len").asInt(latents);
    if (tokensPerFrame <= 0) {
      throw new ModelLoadException("processor_config.json in " + dir.root() + " has image_seq_len " + tokensPerFrame);
    }
    return new Model(processor, processorConfig.path("image_token").asText("<image>"), tokensPerFrame);
  }

  private record Model(Idefics2ImageProcessor processor, String imagePlaceholder, int tokensPerFrame)
      implements FamilyModel {
    /** A boundary token directly followed by a word: Python's processor puts a space between. */
    private static final Pattern CLOSING_BEFORE_WORD = Pattern.compile(Pattern.quote(FAKE_TOKEN) + "(?=[^\\s<])");

    @Override
    public int maxImagesPerRequest() {
      return MAX_IMAGES;
    }

    /**
     * @throws InvalidArgumentException if splitting is on and the image has a 1-pixel side
     */
    @Override
    public PreparedImage prepare(RgbImage image) {
      List<PlanarImage> frames;
      try {
        frames = processor.process(image);
      } catch (IllegalArgumentException e) {
        throw new InvalidArgumentException("images", e.getMessage(), e);
      }
      List<PixelBatch> inputs = frames.stream()
          .map(f -> new PixelBatch(f.chw(), new long[] {1, 1, 3, f.height(), f.width()},
              Map.of(MASK_INPUT, BooleanTensor.allTrue(1, 1, f.height(), f.width()))))
          .toList();
      // Python: (boundary, tokens, boundary) per frame, doubled boundaries then merged into one.
      StringBuilder text = new StringBuilder(FAKE_TOKEN);
      String tokens = imagePlaceholder.repeat(tokensPerFrame);
      for (int i = 0; i < frames.size(); i++) {
        text.append(tokens).append(FAKE_TOKEN);
      }
      return new PreparedImage(text.toString(), inputs, tokensPerFrame);
    }

    @Override
    public String finishPrompt(String expanded) {
      // Adjacent images share one boundary token, as Python's processor joins them.
      String merged = expanded.replace(FAKE_TOKEN + FAKE_TOKEN, FAKE_TOKEN);
      return CLOSING_BEFORE_WORD.matcher(merged).replaceAll(Matcher.quoteReplacement(FAKE_TOKEN + " "));
    }
  }
}
