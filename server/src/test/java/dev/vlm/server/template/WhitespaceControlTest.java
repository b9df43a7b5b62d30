package dev.vlm.server.template;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * jinja2's whitespace rules as transformers sets them (trim_blocks, lstrip_blocks), for the
 * cases the reference templates do not cover; expected values come from jinja2 3.1 with the
 * same settings.
 */
class WhitespaceControlTest {

  private static String render(String source) {
    return ChatTemplate.of(source, Map.of()).render(List.of(ChatMessage.text("user", "hi")), false);
  }

  @Test
  void oneTrailingNewlineIsDroppedAndWindowsLineEndsAreRead() {
    assertThat(render("a\n\n")).isEqualTo("a\n");
    assertThat(render("a\r\n{% if true %}\r\nb\r\n{% endif %}\r\n")).isEqualTo("a\nb\n");
  }

  @Test
  void plusSignKeepsWhatTrimAndLstripWouldRemove() {
    assertThat(render("x\n  {%+ if true %}y{% endif +%}\nz")).isEqualTo("x\n  y\nz");
  }

  @Test
  void expressionsKeepTheirIndentationAndFollowingNewline() {
    assertThat(render("  {{ 'a' }}\n  {% if true %}\nb{% endif %}")).isEqualTo("  a\nb");
  }

  @Test
  void lstripOnlyAppliesWhenTheTagStartsTheLine() {
    assertThat(render("{{ 'a' }}  {% if true %}b{% endif %}")).isEqualTo("a  b");
    assertThat(render("{% if true %}\n  {% if true %}b{% endif %}{% endif %}")).isEqualTo("b");
  }

  @Test
  void rawBlocksAreNotEvaluated() {
    assertThat(render("{% raw %}{{ x }} {% if %}{% endraw %}!")).isEqualTo("{{ x }} {% if %}!");
  }

  @Test
  void aBraceBeforeARemovedCommentStaysText() {
    assertThat(render("{ {#- c #}{ x")).isEqualTo("{{ x");
  }
}
