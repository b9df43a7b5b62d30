package dev.vlm.server.model.kosmos25;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vlm.server.image.ImageException;
import dev.vlm.server.image.Kosmos25ImageProcessor;
import dev.vlm.server.image.RgbImage;
import dev.vlm.server.model.FamilyModel;
import dev.vlm.server.model.ModelDirectory;
import dev.vlm.server.model.ModelFamily;
import dev.vlm.server.model.ModelLoadException;
import dev.vlm.server.model.PixelBatch;
import dev.vlm.server.model.PreparedImage;
import java.util.List;
import java.util.Set;

/**
 * Kosmos-2.5 ({@code model_type: kosmos-2.5}, microsoft/kosmos-2.5), a document reader: a
 * Pix2Struct-style vision encoder over flattened patches at the image's own aspect ratio, an
 * image-to-text projection whose {@code latent_query_num} learned queries turn any image into
 * that many tokens, and a text decoder that writes plain text or, after {@code <ocr>}, text lines
 * with {@code <bbox><x_..><y_..>..</bbox>} layout tokens (after {@code <md>}, markdown).
 *
 * <p>Python's processor lays out every prompt the same way: {@code <s><image>}, then
 * {@code num_image_tokens} image tokens, {@code </image>}, then the text. The image token is the
 * BOS token {@code <s>} itself; the model finds the image span by position. Here a prompt names
 * its image with {@code <image>} anywhere; the image's text is moved to the front behind the BOS
 * ({@link FamilyModel#finishPrompt}), so the ids equal Python's for the prompt without the
 * placeholder. Exactly one image per request: the processor refuses none, and the decoder export
 * marks the image span by position (see docs/MODELS.md).
 *
 * <p>The encoder input is one image's flattened patches as {@code pixel_values}
 * {@code [1, max_patches, 2 + 3 * patch height * patch width]}; the encoder derives the patch mask
 * from the patches, as the Python model does (the processor's mask is not passed to it).
 */
public final class Kosmos25Family implements ModelFamily {
  private static final int IMAGES = 1;

  @Override
  public String name() {
    return "kosmos2_5";
  }

  @Override
  public Set<String> modelTypes() {
    return Set.of("kosmos-2.5");
  }

  @Override
  public FamilyModel open(ModelDirectory dir) {
    Kosmos25ImageProcessor processor = dir.parse("preprocessor_config.json", Kosmos25ImageProcessor::fromConfig);
    int latents = dir.config().path("latent_query_num").asInt(2048);
    int tokens = dir.optionalJson("processor_config.json").path("num_image_tokens").asInt(latents);
    if (tokens != latents || tokens <= 0) {
      // The encoder writes latent_query_num rows; the prompt must hold as many image tokens.
      throw new ModelLoadException("processor_config.json in " + dir.root() + " has num_image_tokens " + tokens
          + " but config.json has latent_query_num " + latents + "; they must be one positive number");
    }
    // Row and column ids index the encoder's position tables, which hold max_num_patches rows.
    int positions = dir.config().path("vision_config").path("max_num_patches").asInt(4096);
    JsonNode tokenizerConfig = dir.json("tokenizer_config.json");
    return new Model(processor, tokens, positions,
        token(tokenizerConfig, "bos_token", "<s>"),
        token(tokenizerConfig, "boi_token", "<image>"),
        token(tokenizerConfig, "eoi_token", "</image>"),
        token(tokenizerConfig, "image_token", "<s>"));
  }

  /** A named token of tokenizer_config.json, at its top level or in extra_special_tokens. */
  private static String token(JsonNode tokenizerConfig, String name, String fallback) {
    JsonNode value = tokenizerConfig.path(name);
    if (value.isMissingNode()) {
      value = tokenizerConfig.path("extra_special_tokens").path(name);
    }
    if (value.isObject()) {
      value = value.path("content"); // an AddedToken written out
    }
    return value.isTextual() ? value.asText() : fallback;
  }

  private record Model(
      Kosmos25ImageProcessor processor, int tokens, int positionRows, String bos, String imageStart, String imageEnd,
      String imageToken)
      implements FamilyModel {
    @Override
    public String imagePlaceholder() {
      return imageStart;
    }

    @Override
    public String imageToken() {
      return imageToken;
    }

    @Override
    public int minImagesPerRequest() {
      return IMAGES;
    }

    @Override
    public int maxImagesPerRequest() {
      return IMAGES;
    }

    /**
     * @throws ImageException UNSUPPORTED if the image's patch grid has more rows or columns than
     *     the encoder has position embeddings (an aspect ratio near max_patches:1)
     */
    @Override
    public PreparedImage prepare(RgbImage image) {
      Kosmos25ImageProcessor.FlattenedPatches patches = processor.process(image);
      int longest = Math.max(patches.rows(), patches.cols());
      if (longest >= positionRows) {
        // Ids are 1-based: the largest must still index the table. Python fails here with an IndexError.
        throw new ImageException(ImageException.Reason.UNSUPPORTED,
            "a " + image.width() + "x" + image.height() + " image makes a " + patches.cols() + "x" + patches.rows()
                + " patch grid, but the vision encoder has position embeddings for " + (positionRows - 1)
                + " rows or columns; send an image with a less extreme aspect ratio");
      }
      PixelBatch batch = new PixelBatch(patches.values(), new long[] {1, patches.maxPatches(), patches.depth()});
      return new PreparedImage(imageText(), List.of(batch), tokens);
    }

    /** Python's {@code bos + boi + image_token * n + eoi + text}: the image first, whatever the prompt's order. */
    @Override
    public String finishPrompt(String expanded) {
      String image = imageText();
      int at = expanded.indexOf(image);
      if (at < 0) {
        return expanded; // no image: refused before this by minImagesPerRequest
      }
      return bos + image + expanded.substring(0, at) + expanded.substring(at + image.length());
    }

    private String imageText() {
      return imageStart + imageToken.repeat(tokens) + imageEnd;
    }
  }
}
