package dev.vlm.server.model.llava;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vlm.server.image.ClipImageProcessor;
import dev.vlm.server.model.FamilyModel;
import dev.vlm.server.model.ModelDirectory;
import dev.vlm.server.model.ModelFamily;
import dev.vlm.server.model.ModelLoadException;
import dev.vlm.server.model.PixelBatch;
import dev.vlm.server.model.PreparedImage;
import dev.vlm.server.image.RgbImage;
import java.util.List;
import java.util.Set;

/**
 * LLaVA-1.5 ({@code model_type: llava}): a CLIP vision tower and projector whose features
 * replace the prompt's {@code <image>} tokens, one feature row per token.
 */
public final class LlavaFamily implements ModelFamily {
  // LLaVA-1.5 was trained on one image per conversation; more degrade quality but run.
  private static final int MAX_IMAGES = 4;

  @Override
  public String name() {
    return "llava";
  }

  @Override
  public Set<String> modelTypes() {
    return Set.of("llava");
  }

  @Override
  public FamilyModel open(ModelDirectory dir) {
    ClipImageProcessor processor = dir.parse("preprocessor_config.json", ClipImageProcessor::fromConfig);
    JsonNode processorConfig = dir.optionalJson("processor_config.json");
    String placeholder = processorConfig.path("image_token").asText("<image>");
    int patch = dir.config().path("vision_config").path("patch_size").asInt(0);
    if (patch <= 0) {
      throw new ModelLoadException("config.json in " + dir.root() + " has no vision_config.patch_size");
    }
    // The "default" strategy drops the CLS row; "full" keeps it.
    boolean keepsCls = dir.config().path("vision_feature_select_strategy").asText("default").equals("full");
    return new Model(processor, placeholder, patch, keepsCls ? 1 : 0);
  }

  private record Model(ClipImageProcessor processor, String imagePlaceholder, int patchSize, int extraRows)
      implements FamilyModel {
    @Override
    public PreparedImage prepare(RgbImage image) {
      float[] pixels = processor.process(image);
      PixelBatch batch = new PixelBatch(pixels, new long[] {1, 3, processor.outputHeight(), processor.outputWidth()});
      // One feature row per patch (plus CLS when kept), all replacing one run of placeholders.
      int tokens = (processor.outputHeight() / patchSize) * (processor.outputWidth() / patchSize) + extraRows;
      return new PreparedImage(imagePlaceholder.repeat(tokens), List.of(batch), tokens);
    }

    @Override
    public int maxImagesPerRequest() {
      return MAX_IMAGES;
    }
  }
}
