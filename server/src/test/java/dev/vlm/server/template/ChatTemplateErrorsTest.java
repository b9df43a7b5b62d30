package dev.vlm.server.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What callers see when a template refuses a conversation or is broken. */
class ChatTemplateErrorsTest {

  private static final List<ChatMessage> HELLO = List.of(ChatMessage.text("user", "hello"));

  @Test
  void raiseExceptionSurfacesTheTemplatesOwnMessage() {
    ChatTemplate template =
        ChatTemplate.of(
            "{% for m in messages %}{% if m['role'] == 'tool' %}"
                + "{{ raise_exception('Role ' + m['role'] + ' is not supported') }}{% endif %}{% endfor %}",
            Map.of());

    TemplateException error =
        catchThrowableOfType(
            TemplateException.class, () -> template.render(List.of(ChatMessage.text("tool", "42")), false));

    assertThat(error).hasMessage("Role tool is not supported");
    assertThat(error.isRaisedByTemplate()).isTrue();
    assertThat(template.render(HELLO, false)).isEmpty();
  }

  @Test
  void anUnclosedBlockIsReportedWhenTheTemplateIsCreated() {
    assertThatThrownBy(() -> ChatTemplate.of("{% if messages %}\nno end", Map.of()))
        .isInstanceOf(TemplateException.class)
        .hasMessageContaining("does not parse")
        .hasMessageContaining("endif");
  }

  @Test
  void anUnclosedTagIsReportedWithItsLine() {
    assertThatThrownBy(() -> ChatTemplate.of("line one\n{{ messages[0]", Map.of()))
        .isInstanceOf(TemplateException.class)
        .hasMessageContaining("line 2")
        .hasMessageContaining("never closed");
  }

  @Test
  void aBrokenExpressionNamesItsLineAndTheProblem() {
    ChatTemplate template = ChatTemplate.of("first\n{%- if true -%}\n\n{{ messages[0]['role'] + }}{% endif %}", Map.of());

    TemplateException error = catchThrowableOfType(TemplateException.class, () -> template.render(HELLO, false));

    assertThat(error.getMessage()).contains("line 4").contains("messages[0]['role'] +");
    assertThat(error.isRaisedByTemplate()).isFalse();
  }

  @Test
  void anUnknownMethodIsAnErrorNotAnEmptyString() {
    ChatTemplate template = ChatTemplate.of("{{ messages[0]['role'].shout() }}", Map.of());

    assertThatThrownBy(() -> template.render(HELLO, false))
        .isInstanceOf(TemplateException.class)
        .hasMessageContaining("shout");
  }

  @Test
  void aPythonMethodWithWrongArgumentsSaysWhich() {
    ChatTemplate template = ChatTemplate.of("{{ messages[0].get() }}", Map.of());

    assertThatThrownBy(() -> template.render(HELLO, false))
        .isInstanceOf(TemplateException.class)
        .hasMessageContaining("get()");
  }

  @Test
  void jinjaInsideAMessageIsPrintedNotEvaluated() {
    ChatTemplate template = ChatTemplate.of("{{ messages[0]['content'][0]['text'] }}", Map.of("eos_token", "</s>"));
    String sneaky = "{{ eos_token }}{% for x in messages %}loop{% endfor %}{# c #}";

    assertThat(template.render(List.of(ChatMessage.text("user", sneaky)), false)).isEqualTo(sneaky);
  }

  @Test
  void extraVariablesMayNotReplaceTheConversation() {
    ChatTemplate template = ChatTemplate.of("{{ messages | length }}", Map.of());

    assertThatThrownBy(() -> template.render(HELLO, false, Map.of("messages", List.of())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("messages");
    assertThatThrownBy(() -> template.render(HELLO, false, Map.of("tools", new Object())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("JSON-like");
  }
}
