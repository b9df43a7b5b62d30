package dev.vlm.server.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every template under {@code resources/templates} against every conversation of
 * {@code cases.json}, compared character for character with what @huggingface/jinja (the
 * transformers.js engine) rendered; see {@code render_expected.mjs}.
 */
class ChatTemplateReferenceTest {

  static Stream<ReferenceCases.Case> cases() {
    return ReferenceCases.all();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void rendersLikeTheReference(ReferenceCases.Case testCase) {
    ChatTemplate template = ChatTemplate.of(testCase.source(), testCase.specialTokens());
    ReferenceCases.Conversation conversation = testCase.conversation();

    if (testCase.expectedError().isPresent()) {
      assertThatThrownBy(
              () -> template.render(conversation.messages(), conversation.addGenerationPrompt(), conversation.extra()))
          .isInstanceOf(TemplateException.class)
          .hasMessage(testCase.expectedError().get());
    } else {
      String rendered = template.render(conversation.messages(), conversation.addGenerationPrompt(), conversation.extra());
      assertThat(rendered).isEqualTo(testCase.expectedOutput().orElseThrow());
    }
  }
}
