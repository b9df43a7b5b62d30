package dev.vlm.server.model.blip2;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vlm.server.image.ClipImageProcessor;
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
 * BLIP-2 ({@code model_type: blip-2}, Salesforce/blip2-opt-2.7b): a ViT, a Q-Former whose
 * {@code num_query_tokens} learned queries read the image, and a projection into an OPT decoder
 * (learned absolute positions, fed the cache index as {@code position_ids}). The image processor
 * is CLIP's without a centre crop (an exact resize, bicubic, CLIP mean and std); every image is
 * {@code num_query_tokens} image tokens, which Python's processor puts in front of the tokenized
 * text, before its BOS. Here a prompt names its image with the placeholder anywhere, and the
 * image tokens are moved to the front after tokenization ({@link FamilyModel#finishIds}).
 */
public final class Blip2Family implements ModelFamily {
  // BLIP-2 was trained with one image per prompt.
  private static final int MAX_IMAGES = 1;

  @Override
  public String name() {
    return "blip2";
  }

  @Override
  public Set<String> modelTypes() {
    return Set.of("blip-2");
  }

  @Override
  public FamilyModel open(ModelDirectory dir) {
    ClipImageProcessor processor = dir.parse("preprocessor_config.json", Blip2Family::imageProcessor);
    JsonNode processorConfig = dir.optionalJson("processor_config.json");
    int queries = processorConfig.path("num_query_tokens").asInt(dir.config().path("num_query_tokens").asInt(32));
    int imageToken = dir.config().path("image_token_index").asInt(-1);
    if (queries <= 0 || imageToken < 0) {
      throw new ModelLoadException("config.json in " + dir.root()
          + " needs a positive num_query_tokens and an image_token_index, got " + queries + " and " + imageToken);
    }
    return new Model(processor, processorConfig.path("image_token").asText("<image>"), queries, imageToken);
  }

  /** BLIP's image processor is CLIP's without the centre crop. */
  private static ClipImageProcessor imageProcessor(JsonNode config) {
    ObjectNode withoutCrop = config.deepCopy();
    withoutCrop.put("do_center_crop", false);
    return ClipImageProcessor.fromConfig(withoutCrop);
  }

  private record Model(ClipImageProcessor processor, String imagePlaceholder, int queries, int imageTokenId)
      implements FamilyModel {
    @Override
    public int maxImagesPerRequest() {
      return MAX_IMAGES;
    }

    @Override
    public PreparedImage prepare(RgbImage image) {
      PixelBatch batch = new PixelBatch(
          processor.process(image), new long[] {1, 3, processor.outputHeight(), processor.outputWidth()});
      return new PreparedImage(imagePlaceholder.repeat(queries), List.of(batch), queries);
    }

    /** Every image token first, then the rest (BOS and text) in order, as Python's processor. */
    @Override
    public int[] finishIds(int[] ids) {
      int[] out = new int[ids.length];
      int at = 0;
      for (int id : ids) {
        if (id == imageTokenId) {
          out[at++] = id;
        }
      }
      for (int id : ids) {
        if (id != imageTokenId) {
          out[at++] = id;
        }
      }
      return out;
    }
  }
}
