package dev.vlm.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vlm.api.v1.Content;
import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.Message;
import java.util.HashSet;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Reads {@code POST /v1/chat/completions} bodies: {@code messages} whose content is a string or
 * a list of {@code text} and {@code image_url} parts, plus the {@link SamplingFields}. Thread-safe.
 */
final class ChatRequests {
  private static final Set<String> KNOWN = known();

  private final ImageUrls images;

  ChatRequests(ImageUrls images) {
    this.images = images;
  }

  private static Set<String> known() {
    Set<String> known = new HashSet<>(SamplingFields.COMMON);
    known.add("messages");
    known.add("max_completion_tokens");
    return Set.copyOf(known);
  }

  /**
   * @throws ApiError naming the first field at fault
   */
  OpenAiRequest parse(JsonNode body, String requestId) {
    JsonFields f = new JsonFields(body);
    f.requireKnown(KNOWN);
    GenerateRequest.Builder request = GenerateRequest.newBuilder().setRequestId(requestId);
    JsonNode messages = f.node("messages");
    if (messages == null || !messages.isArray() || messages.isEmpty()) {
      throw ApiError.badRequest("messages", "is required: a non-empty list of {\"role\", \"content\"} objects");
    }
    for (int i = 0; i < messages.size(); i++) {
      request.addMessages(message(messages.get(i), "messages[" + i + "]"));
    }
    OptionalLong maxTokens = f.integer("max_tokens");
    OptionalLong maxCompletion = f.integer("max_completion_tokens");
    if (maxTokens.isPresent() && maxCompletion.isPresent() && maxTokens.getAsLong() != maxCompletion.getAsLong()) {
      throw ApiError.badRequest("max_completion_tokens", "differs from max_tokens; send one of them");
    }
    return SamplingFields.read(f, request, maxCompletion.isPresent() ? maxCompletion : maxTokens);
  }

  private Message message(JsonNode node, String where) {
    if (!node.isObject()) {
      throw ApiError.badRequest(where, "must be an object with \"role\" and \"content\"");
    }
    JsonFields f = new JsonFields(node);
    f.requireKnown(Set.of("role", "content", "name"));
    Message.Builder message = Message.newBuilder().setRole(fieldString(f, "role", where));
    JsonNode content = node.get("content");
    if (content == null || content.isNull()) {
      // An assistant turn may carry no content; the template still sees the turn.
      return message.addContent(Content.newBuilder().setText("")).build();
    }
    if (content.isTextual()) {
      return message.addContent(Content.newBuilder().setText(content.asText())).build();
    }
    if (!content.isArray()) {
      throw ApiError.badRequest(where + ".content", "must be a string or a list of parts");
    }
    for (int j = 0; j < content.size(); j++) {
      message.addContent(part(content.get(j), where + ".content[" + j + "]"));
    }
    return message.build();
  }

  private Content part(JsonNode node, String where) {
    if (!node.isObject()) {
      throw ApiError.badRequest(where, "must be an object such as {\"type\": \"text\", \"text\": \"...\"}");
    }
    JsonFields f = new JsonFields(node);
    String type = fieldString(f, "type", where);
    return switch (type) {
      case "text" -> {
        f.requireKnown(Set.of("type", "text"));
        yield Content.newBuilder().setText(fieldString(f, "text", where)).build();
      }
      case "image_url" -> {
        f.requireKnown(Set.of("type", "image_url"));
        yield Content.newBuilder().setImage(images.resolve(imageUrl(node.get("image_url"), where), where + ".image_url"))
            .build();
      }
      default -> throw ApiError.badRequest(where + ".type", "must be \"text\" or \"image_url\", got \"" + type + "\"");
    };
  }

  /** {@code {"url": "...", "detail": "auto"}}, or the URL string itself as vLLM also accepts. */
  private static String imageUrl(JsonNode node, String where) {
    if (node != null && node.isTextual()) {
      return node.asText();
    }
    if (node == null || !node.isObject()) {
      throw ApiError.badRequest(where + ".image_url", "must be an object such as {\"url\": \"data:image/png;base64,...\"}");
    }
    JsonFields f = new JsonFields(node);
    f.requireKnown(Set.of("url", "detail"));
    return fieldString(f, "url", where + ".image_url");
  }

  /** A required string field, named by its full path when missing or mistyped. */
  private static String fieldString(JsonFields f, String name, String where) {
    try {
      return f.requiredString(name);
    } catch (ApiError e) {
      String path = where + "." + name;
      throw ApiError.badRequest(path, e.getMessage().substring(name.length() + 2));
    }
  }
}
