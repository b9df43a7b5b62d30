package dev.vlm.server.generation;

import dev.vlm.server.errors.InvalidArgumentException;
import dev.vlm.server.engine.EngineException;
import dev.vlm.server.image.ImageException;
import dev.vlm.server.image.RgbImage;
import dev.vlm.server.model.PixelBatch;
import dev.vlm.server.model.PreparedImage;
import dev.vlm.server.model.PromptPositions;
import dev.vlm.server.template.ChatMessage;
import dev.vlm.server.template.ChatPart;
import dev.vlm.server.template.ChatTemplate;
import dev.vlm.server.template.TemplateException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Turns a request's prompt into token ids and encoder inputs: renders the chat template (or
 * takes the raw prompt), runs each image through the family's preprocessing, and replaces each
 * placeholder with the family's text for that image, which holds one image token per row the
 * vision encoder will produce; families with multimodal rotary positions then give the
 * tokenized prompt its positions. Runs outside the model's loop thread. Stateless; safe to share.
 */
final class PromptPreparer {
  private PromptPreparer() {}

  static PreparedPrompt prepare(LoadedModel model, Prompt prompt) {
    String placeholder = model.familyModel().imagePlaceholder();
    String text = render(model, prompt, placeholder);
    List<RgbImage> images = prompt.images();
    if (images.size() > model.familyModel().maxImagesPerRequest()) {
      throw new InvalidArgumentException(
          prompt instanceof Prompt.Chat ? "messages" : "images",
          images.size() + " images sent, but model family '" + model.family().name()
              + "' accepts at most " + model.familyModel().maxImagesPerRequest() + " per request");
    }
    if (images.size() < model.familyModel().minImagesPerRequest()) {
      throw new InvalidArgumentException(
          prompt instanceof Prompt.Chat ? "messages" : "images",
          images.size() + " images sent, but model family '" + model.family().name()
              + "' needs at least " + model.familyModel().minImagesPerRequest() + " per request");
    }
    int placeholders = count(text, placeholder);
    if (placeholders != images.size()) {
      throw new InvalidArgumentException(
          "prompt",
          "holds " + placeholders + " image placeholder(s) '" + placeholder + "' but "
              + images.size() + " image(s) were sent; put the placeholder once per image");
    }

    List<PreparedImage> prepared = new ArrayList<>();
    StringBuilder expanded = new StringBuilder();
    int from = 0;
    for (int i = 0; i < images.size(); i++) {
      PreparedImage one = prepareImage(model, images.get(i), imageField(prompt, i));
      prepared.add(one);
      int at = text.indexOf(placeholder, from);
      expanded.append(text, from, at).append(one.promptText());
      from = at + placeholder.length();
    }
    expanded.append(text, from, text.length());

    int[] ids = model.familyModel().finishIds(
        model.tokenizer().encode(model.familyModel().finishPrompt(expanded.toString())));
    // One span per encoder input: each input's image tokens are contiguous, while one image's
    // inputs may be separated by other tokens (tile markers), which keep their own embeddings.
    List<PreparedPrompt.PromptImage> spans = new ArrayList<>();
    int position = 0;
    for (int i = 0; i < prepared.size(); i++) {
      PreparedImage image = prepared.get(i);
      for (int in = 0; in < image.encoderInputs().size(); in++) {
        PixelBatch input = image.encoderInputs().get(in);
        int count = image.tokensOf(in);
        int offset = nextRun(ids, position, count, model.imageTokenId());
        if (offset < 0) {
          throw new EngineException("tokenizing the prompt did not keep image " + i + "'s runs of " + count
              + " placeholder tokens together", null);
        }
        position = offset + count;
        spans.add(new PreparedPrompt.PromptImage(offset, count, input));
      }
    }
    return new PreparedPrompt(ids, spans, positions(model, ids, prepared));
  }

  /**
   * The family's preprocessing of one image. A decodable image that preprocessing refuses (an
   * aspect ratio or shape beyond the family's limits) is the caller's input to fix.
   */
  private static PreparedImage prepareImage(LoadedModel model, RgbImage image, String field) {
    try {
      return model.familyModel().prepare(image);
    } catch (ImageException e) {
      throw new InvalidArgumentException(field, e.getMessage(), e);
    }
  }

  /** The request field that carried the prompt's {@code index}-th image. */
  private static String imageField(Prompt prompt, int index) {
    if (prompt instanceof Prompt.Chat chat) {
      int seen = 0;
      for (int m = 0; m < chat.messages().size(); m++) {
        List<ChatPart> parts = chat.messages().get(m).content();
        for (int p = 0; p < parts.size(); p++) {
          if (parts.get(p) instanceof ChatPart.Image && seen++ == index) {
            return "messages[" + m + "].content[" + p + "].image";
          }
        }
      }
    }
    return "images[" + index + "]";
  }

  /** The family's rotary positions for the prompt; a raw prompt may lay out its images wrongly. */
  private static Optional<PromptPositions> positions(LoadedModel model, int[] ids, List<PreparedImage> images) {
    try {
      return model.familyModel().positions(ids, images);
    } catch (IllegalArgumentException e) {
      throw new InvalidArgumentException("prompt", "its image tokens cannot be given positions: " + e.getMessage(), e);
    }
  }

  private static String render(LoadedModel model, Prompt prompt, String placeholder) {
    return switch (prompt) {
      case Prompt.Raw raw -> raw.text();
      case Prompt.Chat chat -> {
        rejectPlaceholderInText(chat.messages(), placeholder);
        ChatTemplate template = model.template().orElseThrow(() -> new InvalidArgumentException("messages",
            "this model has no chat template (none in " + model.directory().root() + "; "
                + ChatTemplate.searchedFiles() + "), so it takes a raw prompt only: send the text in 'prompt',"
                + " or have the operator set the model's chat_template in the server config"));
        try {
          yield template.render(chat.messages(), true);
        } catch (TemplateException e) {
          // The template's raise_exception() speaks about the conversation the client sent.
          throw new InvalidArgumentException("messages", "the model's chat template refused them: " + e.getMessage(), e);
        }
      }
    };
  }

  private static void rejectPlaceholderInText(List<ChatMessage> messages, String placeholder) {
    for (int m = 0; m < messages.size(); m++) {
      List<ChatPart> parts = messages.get(m).content();
      for (int p = 0; p < parts.size(); p++) {
        if (parts.get(p) instanceof ChatPart.Text t && t.text().contains(placeholder)) {
          throw new InvalidArgumentException(
              "messages[" + m + "].content[" + p + "].text",
              "contains the image placeholder '" + placeholder
                  + "', which is reserved; send images as image parts");
        }
      }
    }
  }

  /**
   * Where the next {@code count} image tokens in a row start, from {@code from}; -1 if nowhere. An
   * image token outside such a run is not an image's (Kosmos-2.5's image token is also its BOS).
   */
  private static int nextRun(int[] ids, int from, int count, int token) {
    int run = 0;
    for (int at = from; at < ids.length; at++) {
      run = ids[at] == token ? run + 1 : 0;
      if (run == count) {
        return at - count + 1;
      }
    }
    return -1;
  }

  private static int count(String text, String needle) {
    int n = 0;
    for (int at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length())) {
      n++;
    }
    return n;
  }
}
