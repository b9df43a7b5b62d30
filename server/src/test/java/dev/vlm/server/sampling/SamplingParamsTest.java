package dev.vlm.server.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class SamplingParamsTest {
  private static SamplingParams params(float temperature, float topP, int topK, float penalty) {
    return new SamplingParams(temperature, topP, topK, penalty, OptionalLong.empty());
  }

  @Test
  void acceptsTheBoundaries() {
    SamplingParams p = params(0f, 1f, 0, 1f);
    assertThat(p.isGreedy()).isTrue();
    assertThat(p.hasRepetitionPenalty()).isFalse();
    assertThat(params(0.7f, 1e-6f, 40, 1.3f).isGreedy()).isFalse();
    assertThat(params(0.7f, 0.9f, 40, 1.3f).hasRepetitionPenalty()).isTrue();
    assertThat(SamplingParams.greedy()).isEqualTo(p);
    assertThat(p.withSeed(7).seed()).hasValue(7);
  }

  @Test
  void namesTheInvalidField() {
    assertThatThrownBy(() -> params(-0.1f, 1f, 0, 1f))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("temperature");
    assertThatThrownBy(() -> params(Float.NaN, 1f, 0, 1f)).hasMessageStartingWith("temperature");
    assertThatThrownBy(() -> params(Float.POSITIVE_INFINITY, 1f, 0, 1f))
        .hasMessageStartingWith("temperature");
    assertThatThrownBy(() -> params(1f, 0f, 0, 1f)).hasMessageStartingWith("top_p");
    assertThatThrownBy(() -> params(1f, 1.01f, 0, 1f)).hasMessageStartingWith("top_p");
    assertThatThrownBy(() -> params(1f, Float.NaN, 0, 1f)).hasMessageStartingWith("top_p");
    assertThatThrownBy(() -> params(1f, 1f, -1, 1f)).hasMessageStartingWith("top_k");
    assertThatThrownBy(() -> params(1f, 1f, 0, 0f)).hasMessageStartingWith("repetition_penalty");
    assertThatThrownBy(() -> params(1f, 1f, 0, -2f)).hasMessageStartingWith("repetition_penalty");
    assertThatThrownBy(() -> params(1f, 1f, 0, Float.NaN))
        .hasMessageStartingWith("repetition_penalty");
    assertThatThrownBy(() -> new SamplingParams(1f, 1f, 0, 1f, null))
        .hasMessageStartingWith("seed");
  }

  @Test
  void helpersReturnValidValues() {
    assertThat(SamplingParams.checkTemperature(0.5f)).isEqualTo(0.5f);
    assertThat(SamplingParams.checkTopP(1f)).isEqualTo(1f);
    assertThat(SamplingParams.checkTopK(3)).isEqualTo(3);
    assertThat(SamplingParams.checkRepetitionPenalty(1.2f)).isEqualTo(1.2f);
  }
}
