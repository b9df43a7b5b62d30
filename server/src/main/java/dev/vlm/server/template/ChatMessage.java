package dev.vlm.server.template;

import java.util.List;
import java.util.Objects;

/**
 * One turn of a conversation in the Hugging Face shape: a role ("system", "user", "assistant", ...)
 * and an ordered list of parts. Immutable and thread-safe.
 *
 * @param role the speaker, passed to the template unchanged
 * @param content the parts of the turn, in order
 */
public record ChatMessage(String role, List<ChatPart> content) {

  /**
   * Validates and copies the parts.
   *
   * @throws NullPointerException if the role, the list or one of its parts is null
   */
  public ChatMessage {
    Objects.requireNonNull(role, "role");
    content = List.copyOf(content);
  }

  /**
   * A turn holding a single text part.
   *
   * @param role the speaker
   * @param text the words of the turn
   * @return the message
   * @throws NullPointerException if an argument is null
   */
  public static ChatMessage text(String role, String text) {
    return new ChatMessage(role, List.of(new ChatPart.Text(text)));
  }
}
