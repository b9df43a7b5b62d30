package dev.vlm.server.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding the template and the special tokens in a model directory. */
class ChatTemplateLoadTest {

  private static final List<ChatMessage> HELLO = List.of(ChatMessage.text("user", "hello"));

  @TempDir Path modelDir;

  @Test
  void prefersChatTemplateJinjaOverEveryJsonSource() throws IOException {
    write("chat_template.jinja", "jinja:{{ messages[0]['content'][0]['text'] }}");
    write("chat_template.json", "{\"chat_template\": \"json\"}");
    write("tokenizer_config.json", "{\"chat_template\": \"tokenizer\"}");

    assertThat(ChatTemplate.load(modelDir).render(HELLO, false)).isEqualTo("jinja:hello");
  }

  @Test
  void readsChatTemplateJsonWhenThereIsNoJinjaFile() throws IOException {
    write("chat_template.json", "{\"chat_template\": \"json:{{ messages | length }}\"}");
    write("tokenizer_config.json", "{\"chat_template\": \"tokenizer\"}");

    assertThat(ChatTemplate.load(modelDir).render(HELLO, false)).isEqualTo("json:1");
  }

  @Test
  void fallsBackToTheTokenizerConfigString() throws IOException {
    write("tokenizer_config.json", "{\"chat_template\": \"{{ bos_token }}tokenizer{{ eos_token }}\", \"bos_token\": \"<s>\", \"eos_token\": \"</s>\"}");

    assertThat(ChatTemplate.load(modelDir).render(HELLO, false)).isEqualTo("<s>tokenizer</s>");
  }

  @Test
  void takesTheDefaultOfNamedTemplates() throws IOException {
    write(
        "tokenizer_config.json",
        """
        {"chat_template": [
          {"name": "tool_use", "template": "tools"},
          {"name": "default", "template": "default {{ add_generation_prompt }}"}
        ]}
        """);

    assertThat(ChatTemplate.load(modelDir).render(HELLO, true)).isEqualTo("default true");
  }

  @Test
  void namedTemplatesWithoutDefaultAreRefusedWithTheirNames() throws IOException {
    write("tokenizer_config.json", "{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"x\"}]}");

    assertThatThrownBy(() -> ChatTemplate.load(modelDir))
        .isInstanceOf(TemplateException.class)
        .hasMessageContaining("tokenizer_config.json")
        .hasMessageContaining("tool_use")
        .hasMessageContaining("default");
  }

  @Test
  void readsSpecialTokensWrittenAsStringsOrAddedTokenObjects() throws IOException {
    write("chat_template.jinja", "{{ bos_token }}|{{ eos_token }}|{{ pad_token }}|{{ unk_token }}");
    write(
        "tokenizer_config.json",
        """
        {
          "bos_token": {"__type": "AddedToken", "content": "<|startoftext|>", "lstrip": false},
          "eos_token": "<|im_end|>",
          "pad_token": null,
          "unk_token": {"content": "<unk>"}
        }
        """);

    ChatTemplate template = ChatTemplate.load(modelDir);

    assertThat(template.render(HELLO, false)).isEqualTo("<|startoftext|>|<|im_end|>||<unk>");
    assertThat(template.specialTokens())
        .containsExactlyInAnyOrderEntriesOf(Map.of("bos_token", "<|startoftext|>", "eos_token", "<|im_end|>", "unk_token", "<unk>"));
  }

  @Test
  void aSpecialTokenOfTheWrongShapeNamesTheFileAndField() throws IOException {
    write("chat_template.jinja", "x");
    write("tokenizer_config.json", "{\"eos_token\": 7}");

    assertThatThrownBy(() -> ChatTemplate.load(modelDir))
        .isInstanceOf(TemplateException.class)
        .hasMessageContaining("tokenizer_config.json")
        .hasMessageContaining("eos_token");
  }

  @Test
  void aMissingTemplateNamesEveryFileLookedFor() throws IOException {
    write("tokenizer_config.json", "{\"eos_token\": \"</s>\"}");

    assertThatThrownBy(() -> ChatTemplate.load(modelDir))
        .isInstanceOf(TemplateException.class)
        .hasMessageContaining(modelDir.toString())
        .hasMessageContaining("chat_template.jinja")
        .hasMessageContaining("chat_template.json")
        .hasMessageContaining("tokenizer_config.json");
  }

  @Test
  void aMissingDirectoryIsReported() {
    Path missing = modelDir.resolve("nope");

    assertThatThrownBy(() -> ChatTemplate.load(missing))
        .isInstanceOf(TemplateException.class)
        .hasMessageContaining(missing.toString());
  }

  @Test
  void unparsableJsonNamesTheFile() throws IOException {
    write("chat_template.json", "{\"chat_template\": ");

    assertThatThrownBy(() -> ChatTemplate.load(modelDir))
        .isInstanceOf(TemplateException.class)
        .hasMessageContaining("chat_template.json")
        .hasMessageContaining("JSON");
  }

  @Test
  void aTemplateOfTheWrongTypeNamesTheFile() throws IOException {
    write("chat_template.json", "{\"chat_template\": 42}");

    assertThatThrownBy(() -> ChatTemplate.load(modelDir))
        .isInstanceOf(TemplateException.class)
        .hasMessageContaining("chat_template.json");
  }

  @Test
  void aSyntaxErrorInTheFileNamesTheFile() throws IOException {
    write("chat_template.jinja", "{% for message in messages %}{{ message['role'] }}");

    assertThatThrownBy(() -> ChatTemplate.load(modelDir))
        .isInstanceOf(TemplateException.class)
        .hasMessageContaining("chat_template.jinja")
        .hasMessageContaining("endfor");
  }

  @Test
  void loadsTheReferenceTemplateFromAModelDirectory() throws IOException {
    write("chat_template.json", new ObjectMapper().writeValueAsString(Map.of("chat_template", ReferenceCases.template("qwen2_vl"))));
    ReferenceCases.Conversation conversation = ReferenceCases.conversation("single_image");

    String rendered = ChatTemplate.load(modelDir).render(conversation.messages(), conversation.addGenerationPrompt());

    assertThat(rendered)
        .isEqualTo(Files.readString(ReferenceCases.folder().resolve("expected/qwen2_vl/single_image.txt")));
  }

  private void write(String name, String content) throws IOException {
    Files.writeString(modelDir.resolve(name), content);
  }
}
