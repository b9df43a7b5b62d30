package dev.vlm.server.generation;

import dev.vlm.server.image.RgbImage;
import dev.vlm.server.template.ChatMessage;
import java.util.List;

/** The input of a request: a chat to render with the model's template, or raw prompt text. */
public sealed interface Prompt {
  /** Images in the order they appear in the prompt. */
  List<RgbImage> images();

  /**
   * A conversation; image parts in {@code messages} correspond, in order, to {@code images}.
   *
   * @param messages the turns, oldest first
   * @param images the decoded images of the image parts
   */
  record Chat(List<ChatMessage> messages, List<RgbImage> images) implements Prompt {
    public Chat {
      messages = List.copyOf(messages);
      images = List.copyOf(images);
    }
  }

  /**
   * Text sent as is; it holds the model's image placeholder once per image.
   *
   * @param text the prompt
   * @param images the decoded images, in placeholder order
   */
  record Raw(String text, List<RgbImage> images) implements Prompt {
    public Raw {
      images = List.copyOf(images);
    }
  }
}
