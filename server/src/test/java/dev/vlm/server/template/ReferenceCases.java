package dev.vlm.server.template;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The templates, conversations and expected renders under {@code src/test/resources/templates},
 * shared with {@code render_expected.mjs}, which produced the expected files.
 */
final class ReferenceCases {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** One template rendered against one conversation. */
  record Case(String template, Map<String, String> specialTokens, Conversation conversation) {
    @Override
    public String toString() {
      return template + " / " + conversation.name();
    }

    String source() {
      return read(folder().resolve(template + ".jinja"));
    }

    /** The expected prompt, or empty when the reference raised instead. */
    Optional<String> expectedOutput() {
      Path file = folder().resolve("expected").resolve(template).resolve(conversation.name() + ".txt");
      return Files.exists(file) ? Optional.of(read(file)) : Optional.empty();
    }

    /** The reference's error message, or empty when it rendered. */
    Optional<String> expectedError() {
      Path file = folder().resolve("expected").resolve(template).resolve(conversation.name() + ".error.txt");
      return Files.exists(file) ? Optional.of(read(file)) : Optional.empty();
    }
  }

  /** A conversation of cases.json. */
  record Conversation(String name, boolean addGenerationPrompt, List<ChatMessage> messages, Map<String, Object> extra) {}

  private ReferenceCases() {}

  static Stream<Case> all() {
    JsonNode root = readJson();
    List<Conversation> conversations = new ArrayList<>();
    for (JsonNode node : root.get("conversations")) {
      conversations.add(conversation(node));
    }
    List<Case> cases = new ArrayList<>();
    root.get("templates")
        .properties()
        .forEach(
            entry -> {
              Map<String, String> tokens = JSON.convertValue(entry.getValue(), new TypeReference<>() {});
              conversations.forEach(conversation -> cases.add(new Case(entry.getKey(), tokens, conversation)));
            });
    return cases.stream();
  }

  static Conversation conversation(String name) {
    for (JsonNode node : readJson().get("conversations")) {
      if (node.get("name").asText().equals(name)) {
        return conversation(node);
      }
    }
    throw new IllegalArgumentException("no conversation " + name);
  }

  static String template(String name) {
    return read(folder().resolve(name + ".jinja"));
  }

  private static Conversation conversation(JsonNode node) {
    List<ChatMessage> messages = new ArrayList<>();
    for (JsonNode message : node.get("messages")) {
      List<ChatPart> parts = new ArrayList<>();
      for (JsonNode part : message.get("content")) {
        parts.add(
            switch (part.get("type").asText()) {
              case "text" -> new ChatPart.Text(part.get("text").asText());
              case "image" -> new ChatPart.Image();
              default -> throw new IllegalArgumentException("unknown part " + part);
            });
      }
      messages.add(new ChatMessage(message.get("role").asText(), parts));
    }
    Map<String, Object> extra =
        node.has("extra") ? JSON.convertValue(node.get("extra"), new TypeReference<>() {}) : Map.of();
    return new Conversation(node.get("name").asText(), node.get("add_generation_prompt").asBoolean(), messages, extra);
  }

  private static JsonNode readJson() {
    try {
      return JSON.readTree(read(folder().resolve("cases.json")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Path folder() {
    try {
      return Path.of(ReferenceCases.class.getResource("/templates").toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
