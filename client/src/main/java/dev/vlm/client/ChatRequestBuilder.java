package dev.vlm.client;

import dev.vlm.api.v1.Content;
import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.Image;
import dev.vlm.api.v1.Message;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Builds a chat request: a list of messages that the server renders with the model's own chat
 * template. Get one from {@link Requests#chat(String)}.
 *
 * <pre>{@code
 * GenerateRequest request = Requests.chat("tiny-llava")
 *     .system("Answer in one sentence.")
 *     .user("What is in this picture?", Images.fromFile(Path.of("cat.png")))
 *     .maxNewTokens(64)
 *     .build();
 * }</pre>
 *
 * <p>Not thread-safe: build a request on one thread.
 */
public final class ChatRequestBuilder extends RequestBuilder<ChatRequestBuilder> {
  private final List<Message> messages = new ArrayList<>();

  ChatRequestBuilder(String model) {
    super(model);
  }

  /**
   * Adds a system message.
   *
   * @param text the instructions
   * @return this builder
   */
  public ChatRequestBuilder system(String text) {
    return message("system", Requests.text(text));
  }

  /**
   * Adds a user message: the images first, in order, then the text. Images before text is the
   * layout most vision-language chat templates were trained with; use {@link #message} for
   * another order.
   *
   * @param text the user's words
   * @param images images the words refer to, possibly none
   * @return this builder
   */
  public ChatRequestBuilder user(String text, Image... images) {
    List<Content> parts = new ArrayList<>(images.length + 1);
    for (Image image : images) {
      parts.add(Requests.image(image));
    }
    parts.add(Requests.text(text));
    return message("user", parts.toArray(Content[]::new));
  }

  /**
   * Adds an assistant message, for example an earlier answer in a multi-turn chat.
   *
   * @param text the assistant's words
   * @return this builder
   */
  public ChatRequestBuilder assistant(String text) {
    return message("assistant", Requests.text(text));
  }

  /**
   * Adds a message with any role and parts in the given order.
   *
   * @param role the role the model's chat template expects, e.g. "user"
   * @param parts text and image parts (see {@link Requests#text} and {@link Requests#image})
   * @return this builder
   * @throws IllegalArgumentException if {@code role} is blank or there are no parts
   */
  public ChatRequestBuilder message(String role, Content... parts) {
    Objects.requireNonNull(role, "role");
    if (role.isBlank()) {
      throw new IllegalArgumentException("message role must not be blank");
    }
    if (parts.length == 0) {
      throw new IllegalArgumentException("a " + role + " message needs at least one part");
    }
    messages.add(Message.newBuilder().setRole(role).addAllContent(List.of(parts)).build());
    return this;
  }

  @Override
  void addInput(GenerateRequest.Builder request) {
    if (messages.isEmpty()) {
      throw new IllegalStateException("a chat request needs at least one message");
    }
    request.addAllMessages(messages);
  }
}
