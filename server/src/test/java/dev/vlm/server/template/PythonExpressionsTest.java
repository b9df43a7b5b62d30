package dev.vlm.server.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Expression syntax jinja2 accepts and plain Jinjava does not; expected values are jinja2 3.1's.
 */
class PythonExpressionsTest {

  private static final List<ChatMessage> TWO_TURNS =
      List.of(ChatMessage.text("user", "question"), ChatMessage.text("assistant", "answer"));

  private static String render(String source) {
    return ChatTemplate.of(source, Map.of()).render(TWO_TURNS, false);
  }

  @Test
  void stringLiteralsUnderstandPythonEscapes() {
    assertThat(render("{{ '\\u00e9\\x41\\N{BULLET}\\101' }}")).isEqualTo("éA•A");
    assertThat(render("{{ 'keep \\\\d and \\d' }}")).isEqualTo("keep \\d and \\d");
    assertThat(render("{{ \"it's\" + 'a\\'b' + '\\t' }}")).isEqualTo("it'sa'b\t");
  }

  @Test
  void delimitersInsideStringsDoNotEndTags() {
    assertThat(render("{{ '}}' }}{{ '{%' }}{% if '%}' %}!{% endif %}")).isEqualTo("}}{%!");
  }

  @Test
  void aMalformedEscapeIsReportedAtLoad() {
    assertThatThrownBy(() -> ChatTemplate.of("{{ '\\x4' }}", Map.of()))
        .isInstanceOf(TemplateException.class)
        .hasMessageContaining("hex digits");
  }

  @Test
  void stepSlicesWorkOnLists() {
    assertThat(render("{% for m in messages[::-1] %}{{ m['role'] }} {% endfor %}")).isEqualTo("assistant user ");
    assertThat(render("{{ messages[::-1][0]['role'] }}|{{ messages[1::2] | length }}|{{ 'a:b:c'[::2] }}"))
        .isEqualTo("assistant|1|abc");
  }

  @Test
  void sequenceAndIterableIncludeStringsAndDicts() {
    assertThat(render("{{ 'x' is sequence }} {{ messages[0] is iterable }} {{ messages is sequence }} {{ 3 is iterable }}"))
        .isEqualTo("true true true false");
  }

  @Test
  void membershipInADictLooksAtKeys() {
    assertThat(render("{{ 'yes' if 'role' in messages[0] else 'no' }} {{ 'yes' if 'user' in messages[0] else 'no' }}"))
        .isEqualTo("yes no");
  }
}
