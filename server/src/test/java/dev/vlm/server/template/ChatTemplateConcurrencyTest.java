package dev.vlm.server.template;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** One template shared by many request threads. */
class ChatTemplateConcurrencyTest {

  @Test
  void concurrentRendersOfDifferentConversationsDoNotMix() throws Exception {
    // lfm2_vl reassigns "messages" and mutates a namespace: state that must stay per render.
    List<ReferenceCases.Case> cases =
        ReferenceCases.all()
            .filter(c -> c.template().equals("lfm2_vl") && c.expectedOutput().isPresent())
            .toList();
    List<String> expected = cases.stream().map(c -> c.expectedOutput().orElseThrow()).toList();
    ChatTemplate template = ChatTemplate.of(cases.get(0).source(), cases.get(0).specialTokens());

    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<String>> rendered = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        ReferenceCases.Conversation conversation = cases.get(i % cases.size()).conversation();
        rendered.add(
            pool.submit(
                () -> template.render(conversation.messages(), conversation.addGenerationPrompt(), conversation.extra())));
      }
      for (int i = 0; i < rendered.size(); i++) {
        assertThat(rendered.get(i).get(30, TimeUnit.SECONDS)).isEqualTo(expected.get(i % cases.size()));
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
