package dev.vlm.server.template;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Globals and tags transformers adds to every template, beyond raise_exception. */
class TemplateGlobalsTest {

  private static final List<ChatMessage> HELLO = List.of(ChatMessage.text("user", "hello"));

  @Test
  void strftimeNowReadsTheInjectedClockInItsZone() {
    Clock clock = Clock.fixed(Instant.parse("2024-07-05T21:04:09Z"), ZoneId.of("Europe/Paris"));
    ChatTemplate template =
        ChatTemplate.of("Today is {{ strftime_now('%d %B %Y') }}, {{ strftime_now('%a %H:%M:%S %p') }}", Map.of(), clock);

    assertThat(template.render(HELLO, false)).isEqualTo("Today is 05 July 2024, Fri 23:04:09 PM");
  }

  @Test
  void namespaceAttributesCanBeSetInsideLoopsAndAdded() {
    ChatTemplate template =
        ChatTemplate.of(
            "{% set ns = namespace(count=0) %}{% for m in messages %}{% set ns.count = ns.count + 1 %}"
                + "{% set ns.last = m['role'] %}{% endfor %}{{ ns.count }} {{ ns.last }}",
            Map.of());

    assertThat(template.render(List.of(ChatMessage.text("user", "a"), ChatMessage.text("assistant", "b")), false))
        .isEqualTo("2 assistant");
  }

  @Test
  void generationBlocksRenderTheirBody() {
    ChatTemplate template =
        ChatTemplate.of("{% for m in messages %}{% generation %}[{{ m['role'] }}]{% endgeneration %}{% endfor %}", Map.of());

    assertThat(template.render(HELLO, false)).isEqualTo("[user]");
  }

  @Test
  void listAndDictMethodsWorkOnTemplateValues() {
    ChatTemplate template =
        ChatTemplate.of(
            "{% set roles = [] %}{% for m in messages %}{% set _ = roles.append(m['role']) %}{% endfor %}"
                + "{{ roles | join(',') }} {{ roles.pop() }} {{ roles | length }} {{ messages[0].get('name', 'anon') }}"
                + " {{ messages[0].keys() | join('+') }} {% for k, v in messages[0].items() %}{{ k }}{% endfor %}",
            Map.of());

    assertThat(template.render(List.of(ChatMessage.text("user", "a"), ChatMessage.text("assistant", "b")), false))
        .isEqualTo("user,assistant assistant 1 anon role+content rolecontent");
  }

  @Test
  void rendersDoNotShareMutatedValues() {
    ChatTemplate template = ChatTemplate.of("{% set _ = messages.append(messages[0]) %}{{ messages | length }}", Map.of());

    assertThat(template.render(HELLO, false)).isEqualTo("2");
    assertThat(template.render(HELLO, false)).isEqualTo("2");
  }
}
