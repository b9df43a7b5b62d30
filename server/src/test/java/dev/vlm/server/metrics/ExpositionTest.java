package dev.vlm.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The test parser reads what it must, or the scrape assertions built on it mean nothing. */
class ExpositionTest {
  @Test
  void readsLabelsWithEscapesValuesAndTypes() {
    Exposition parsed =
        Exposition.parse(
            """
            # HELP x_total Some help.
            # TYPE x_total counter
            x_total{model_name="a\\"b\\\\c",reason="x,y"} 3.0
            plain 1.5E3 1700000000000
            h_bucket{model_name="m",le="+Inf"} 2
            """);

    assertThat(parsed.type("x_total")).isEqualTo("counter");
    assertThat(parsed.value("x_total", Map.of("model_name", "a\"b\\c", "reason", "x,y"))).isEqualTo(3.0);
    assertThat(parsed.value("plain", Map.of())).isEqualTo(1500.0);
    assertThat(parsed.buckets("h", Map.of("model_name", "m"))).containsEntry(Double.POSITIVE_INFINITY, 2.0);
    assertThatThrownBy(() -> parsed.value("x_total", Map.of("model_name", "a"))).isInstanceOf(AssertionError.class);
  }

  @Test
  void rejectsMalformedLines() {
    assertThatThrownBy(() -> Exposition.parse("x{model_name=\"a} 1\n")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Exposition.parse("x{model_name=a} 1\n")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Exposition.parse("x 1 2 3\n")).isInstanceOf(IllegalArgumentException.class);
  }
}
