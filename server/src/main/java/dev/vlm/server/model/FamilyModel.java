package dev.vlm.server.model;

import dev.vlm.server.image.RgbImage;
import java.util.List;
import java.util.Optional;

/**
 * What a model family contributes to one loaded model: how images become encoder input and
 * how they are marked in the prompt. Implementations are immutable and thread-safe.
 */
public interface FamilyModel {
  /**
   * The text that stands for one image in a rendered prompt, such as {@code <image>}; unless
   * {@link #imageToken()} says otherwise, also the token whose positions the vision encoder's
   * rows fill.
   */
  String imagePlaceholder();

  /**
   * The token whose positions the vision encoder's rows fill: by default the placeholder. Kosmos-2.5
   * fills BOS tokens ({@code <s>}) between its image boundaries, so the placeholder clients write
   * ({@code <image>}) is another token; image tokens outside a full run (the prompt's own BOS) are
   * then left alone.
   */
  default String imageToken() {
    return imagePlaceholder();
  }

  /** Fewest images one request may carry: 0, the default, where text-only prompts are allowed. */
  default int minImagesPerRequest() {
    return 0;
  }

  /** Most images one request may carry. */
  int maxImagesPerRequest();

  /**
   * Preprocesses an image into encoder inputs, and says what text replaces its placeholder: the
   * image tokens the encoder will fill (known before it runs, so the scheduler can plan the
   * prompt) and any tokens the family puts around them.
   */
  PreparedImage prepare(RgbImage image);

  /**
   * The prompt text once every image's placeholder holds its {@link PreparedImage#promptText},
   * before tokenization. The default keeps it; a family whose processor rewrites the joined text
   * (Idefics2 merges the boundary tokens of adjacent images; a description's {@code
   * prompt_rewrites}) overrides this. The image tokens'
   * runs must stay as they are.
   */
  default String finishPrompt(String expanded) {
    return expanded;
  }

  /**
   * The tokenized prompt, for a family whose processor places image tokens where the prompt text
   * cannot (BLIP-2 puts them before the tokenizer's BOS). The default keeps the ids; an override
   * may only reorder them and must keep each image's runs in order.
   */
  default int[] finishIds(int[] ids) {
    return ids;
  }

  /**
   * The decoder's position ids for a tokenized prompt, for families whose rotary positions are
   * not the cache indices (Qwen2-VL's multimodal RoPE); empty, the default, where they are.
   *
   * @param tokenIds the prompt's token ids, each image's placeholder already expanded
   * @param images what {@link #prepare} returned for the prompt's images, in prompt order
   * @return the prompt's positions, or empty for the cache indices
   * @throws IllegalArgumentException if the prompt's image tokens do not fit the images (the
   *     message says how)
   */
  default Optional<PromptPositions> positions(int[] tokenIds, List<PreparedImage> images) {
    return Optional.empty();
  }
}
