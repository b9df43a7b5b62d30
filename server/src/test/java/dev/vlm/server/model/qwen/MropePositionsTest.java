package dev.vlm.server.model.qwen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vlm.server.image.qwen.GridThw;
import dev.vlm.server.image.qwen.QwenGoldens;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** get_rope_index against the goldens' recorded prefill positions, deltas and decode positions. */
class MropePositionsTest {
  private static final int VISION_START = 491;
  private static final int IMAGE = 494;

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("dev.vlm.server.image.qwen.QwenGoldens#allCases")
  void matchesGoldenPositions(String model, String caseId) {
    JsonNode c = QwenGoldens.caseOf(model, caseId);
    JsonNode special = QwenGoldens.load(model).path("special_tokens");
    int visionStart = special.path("vision_start").asInt();
    int image = special.path("image").asInt();
    MropePositions mrope = model.equals("tiny-qwen2-vl")
        ? MropePositions.qwen2Vl(visionStart, image, 2)
        : MropePositions.qwen25Vl(visionStart, image, 2);
    int[] ids = QwenGoldens.ints(c.path("input_ids"));
    MropePositions.Prefill prefill = mrope.compute(ids, QwenGoldens.grids(c));
    assertThat(prefill.positionIds()).isDeepEqualTo(QwenGoldens.positionIds(c));
    assertThat(prefill.ropeDelta()).isEqualTo(c.path("rope_delta").asLong());
    JsonNode decode = c.path("decode_position_ids");
    for (int step = 0; step < decode.size(); step++) {
      assertThat(prefill.decodePosition(ids.length + step)).isEqualTo(decode.get(step).asLong());
    }
  }

  @Test
  void textOnlyPromptCountsOnWithZeroDelta() {
    MropePositions.Prefill prefill = MropePositions.qwen2Vl(VISION_START, IMAGE, 2).compute(new int[] {5, 6, 7}, List.of());
    assertThat(prefill.positionIds()).isDeepEqualTo(new long[][] {{0, 1, 2}, {0, 1, 2}, {0, 1, 2}});
    assertThat(prefill.ropeDelta()).isZero();
  }

  @Test
  void multiFrameGridAdvancesTemporalRow() {
    // t=2, merged 1x2: tokens (0,0,0) (0,0,1) (1,0,0) (1,0,1) from offset 2; then text at 2 + 1 + 1 = 4.
    int[] ids = {9, VISION_START, IMAGE, IMAGE, IMAGE, IMAGE, 9};
    MropePositions.Prefill prefill = MropePositions.qwen2Vl(VISION_START, IMAGE, 2).compute(ids, List.of(new GridThw(2, 2, 4)));
    assertThat(prefill.positionIds()).isDeepEqualTo(new long[][] {
        {0, 1, 2, 2, 3, 3, 4},
        {0, 1, 2, 2, 2, 2, 4},
        {0, 1, 2, 3, 2, 3, 4}});
    assertThat(prefill.ropeDelta()).isEqualTo(5 - 7);
  }

  @Test
  void qwen25KeepsAllFramesOfAnImageAtItsTemporalStart() {
    int[] ids = {9, VISION_START, IMAGE, IMAGE, IMAGE, IMAGE, 9};
    MropePositions.Prefill prefill = MropePositions.qwen25Vl(VISION_START, IMAGE, 2).compute(ids, List.of(new GridThw(2, 2, 4)));
    assertThat(prefill.positionIds()).isDeepEqualTo(new long[][] {
        {0, 1, 2, 2, 2, 2, 4},
        {0, 1, 2, 2, 2, 2, 4},
        {0, 1, 2, 3, 2, 3, 4}});
    assertThat(prefill.ropeDelta()).isEqualTo(5 - 7);
  }

  @Test
  void refusesGridsThatDoNotMatchThePrompt() {
    MropePositions mrope = MropePositions.qwen2Vl(VISION_START, IMAGE, 2);
    int[] oneImage = {VISION_START, IMAGE, IMAGE, IMAGE, IMAGE, 9};
    assertThatThrownBy(() -> mrope.compute(oneImage, List.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 image(s)");
    assertThatThrownBy(() -> mrope.compute(oneImage, List.of(new GridThw(1, 4, 6))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lacks the 6 image tokens");
    assertThatThrownBy(() -> mrope.compute(oneImage, List.of(new GridThw(1, 3, 4))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("merge blocks");
  }
}
