package dev.vlm.server.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vlm.api.v1.FinishReason;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.Usage;
import java.util.List;

/**
 * Builds one request's OpenAI response bodies, whole or as stream chunks, for chat ({@code
 * chat.completion}, text under {@code message} / {@code delta}) or text completions ({@code
 * text_completion}, text under {@code text}). Not thread-safe; one per request.
 */
final class Replies {
  /** Which endpoint's shape to build. */
  enum Kind {
    CHAT("chatcmpl-", "chat.completion", "chat.completion.chunk"),
    COMPLETION("cmpl-", "text_completion", "text_completion");

    final String idPrefix;
    final String object;
    final String chunkObject;

    Kind(String idPrefix, String object, String chunkObject) {
      this.idPrefix = idPrefix;
      this.object = object;
      this.chunkObject = chunkObject;
    }
  }

  private final Kind kind;
  private final String id;
  private final long created;
  private final String model;
  private final boolean returnTokenIds;
  private final boolean includeUsage;

  Replies(Kind kind, String requestId, long createdEpochSeconds, OpenAiRequest request) {
    this.kind = kind;
    this.id = kind.idPrefix + requestId;
    this.created = createdEpochSeconds;
    this.model = request.grpc().getModel();
    this.returnTokenIds = request.returnTokenIds();
    this.includeUsage = request.stream() && request.includeUsage();
  }

  /** OpenAI's word for why generation ended. */
  static String finishReason(FinishReason reason) {
    return switch (reason) {
      case FINISH_REASON_EOS, FINISH_REASON_STOP -> "stop";
      case FINISH_REASON_LENGTH -> "length";
      case FINISH_REASON_CANCELLED -> "abort";
      default -> null;
    };
  }

  /** The whole response of a non-streamed request. */
  ObjectNode complete(GenerateResponse response) {
    ObjectNode root = envelope(kind.object);
    ObjectNode choice = root.putArray("choices").addObject().put("index", 0);
    if (kind == Kind.CHAT) {
      choice.putObject("message").put("role", "assistant").put("content", response.getText());
    } else {
      choice.put("text", response.getText());
    }
    choice.putNull("logprobs");
    choice.put("finish_reason", finishReason(response.getFinishReason()));
    tokenIds(choice, response.getTokenIdsList());
    root.set("usage", usage(response.getUsage()));
    return root;
  }

  /**
   * One stream chunk.
   *
   * @param first the stream's first chunk (a chat chunk then names the assistant role)
   * @param finishReason null while generation goes on
   */
  ObjectNode chunk(String text, List<Integer> ids, boolean first, String finishReason) {
    ObjectNode root = envelope(kind.chunkObject);
    ObjectNode choice = root.putArray("choices").addObject().put("index", 0);
    if (kind == Kind.CHAT) {
      ObjectNode delta = choice.putObject("delta");
      if (first) {
        delta.put("role", "assistant");
      }
      if (!text.isEmpty() || first) {
        delta.put("content", text);
      }
    } else {
      choice.put("text", text);
    }
    choice.putNull("logprobs");
    choice.put("finish_reason", finishReason);
    tokenIds(choice, ids);
    if (includeUsage) {
      root.putNull("usage");
    }
    return root;
  }

  /** The chunk after the last one when the client asked for usage: no choices, the counts. */
  ObjectNode usageChunk(Usage usage) {
    ObjectNode root = envelope(kind.chunkObject);
    root.putArray("choices");
    root.set("usage", usage(usage));
    return root;
  }

  private ObjectNode envelope(String object) {
    return JsonNodeFactory.instance.objectNode()
        .put("id", id).put("object", object).put("created", created).put("model", model);
  }

  private void tokenIds(ObjectNode choice, List<Integer> ids) {
    if (returnTokenIds) {
      ArrayNode array = choice.putArray("token_ids");
      ids.forEach(t -> array.add(Integer.toUnsignedLong(t)));
    }
  }

  private static ObjectNode usage(Usage usage) {
    return JsonNodeFactory.instance.objectNode()
        .put("prompt_tokens", usage.getPromptTokens())
        .put("completion_tokens", usage.getCompletionTokens())
        .put("total_tokens", usage.getPromptTokens() + usage.getCompletionTokens());
  }
}
