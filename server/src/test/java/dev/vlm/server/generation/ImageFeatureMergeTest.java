package dev.vlm.server.generation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vlm.server.model.PixelBatch;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Image features land on the prompt's image spans only, whatever the token ids say. */
class ImageFeatureMergeTest {
  private static final int HIDDEN = 2;
  private static final List<PreparedPrompt.PromptImage> ONE_IMAGE =
      List.of(new PreparedPrompt.PromptImage(2, 2, new PixelBatch(new float[0], new long[] {0})));
  private static final Map<Integer, float[][]> FEATURES = Map.of(0, new float[][] {{10, 11}, {20, 21}});

  @Test
  void featuresReplaceOnlyTheImageSpan() {
    // Positions 0..7, a resumed sequence: the image span is 2..3; suppose the model generated
    // the image token id at position 6: it must keep its own (text) embedding.
    float[] embeds = new float[8 * HIDDEN];
    for (int i = 0; i < embeds.length; i++) {
      embeds[i] = -1;
    }
    ImageFeatureMerge.merge(embeds, 0, 8, ONE_IMAGE, FEATURES, HIDDEN);

    assertThat(embeds).containsExactly(-1, -1, -1, -1, 10, 11, 20, 21, -1, -1, -1, -1, -1, -1, -1, -1);
  }

  @Test
  void aChunkThatSplitsTheImageGetsItsPart() {
    float[] embeds = {-1, -1, -1, -1};
    ImageFeatureMerge.merge(embeds, 3, 5, ONE_IMAGE, FEATURES, HIDDEN);
    assertThat(embeds).containsExactly(20, 21, -1, -1);
  }

  @Test
  void aChunkAfterThePromptIsUntouched() {
    float[] embeds = {-1, -1};
    ImageFeatureMerge.merge(embeds, 9, 10, ONE_IMAGE, Map.of(), HIDDEN);
    assertThat(embeds).containsExactly(-1, -1);
  }

  @Test
  void reachingAnImageBeforeItIsEncodedIsAnError() {
    assertThatThrownBy(() -> ImageFeatureMerge.merge(new float[4], 2, 4, ONE_IMAGE, Map.of(), HIDDEN))
        .isInstanceOf(IllegalStateException.class);
  }
}
