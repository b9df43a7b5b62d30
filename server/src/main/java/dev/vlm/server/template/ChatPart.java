package dev.vlm.server.template;

import java.util.Objects;

/** One part of a {@link ChatMessage}: text, or the place where an image goes. Immutable. */
public sealed interface ChatPart permits ChatPart.Text, ChatPart.Image {

  /**
   * Words, seen by the template as {@code {"type": "text", "text": ...}}.
   *
   * @param text the words
   */
  record Text(String text) implements ChatPart {
    /**
     * @throws NullPointerException if the text is null
     */
    public Text {
      Objects.requireNonNull(text, "text");
    }
  }

  /**
   * An image, seen by the template as {@code {"type": "image"}}; the template decides which
   * placeholder tokens stand for it.
   */
  record Image() implements ChatPart {}
}
