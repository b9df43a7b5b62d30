package dev.vlm.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vlm.api.v1.Content;
import dev.vlm.api.v1.FinishReason;
import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.Image;
import dev.vlm.client.ChatRequestBuilder;
import dev.vlm.client.Images;
import dev.vlm.client.RawRequestBuilder;
import dev.vlm.client.Requests;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The transformers.js golden outputs in testdata/goldens/, turned into greedy requests built
 * with the client library's own builders.
 */
final class Goldens {
  /**
   * One golden case.
   *
   * @param id the case's name
   * @param request the greedy request (temperature 0, the golden's max_new_tokens) that reproduces it
   * @param tokenIds the tokens transformers.js generated
   * @param text their decoded text
   * @param finishReason why transformers.js stopped, in the API's terms
   */
  record Case(String id, GenerateRequest request, List<Integer> tokenIds, String text, FinishReason finishReason) {
    @Override
    public String toString() {
      return id;
    }
  }

  private Goldens() {}

  /** Every case of testdata/goldens/tiny-llava.json, addressed to {@code model}, by id. */
  static Map<String, Case> tinyLlava(String model) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(TestData.fromRepo("testdata/goldens/tiny-llava.json").toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<Case> cases = new ArrayList<>();
    for (JsonNode c : root.get("cases")) {
      List<Integer> ids = new ArrayList<>();
      c.get("generated_ids").forEach(id -> ids.add(id.asInt()));
      cases.add(new Case(
          c.get("id").asText(), request(c, model), List.copyOf(ids), c.get("text").asText(),
          finishReason(c.get("finish_reason").asText())));
    }
    return cases.stream().collect(Collectors.toMap(Case::id, Function.identity()));
  }

  /**
   * The case named {@code id}.
   *
   * @throws IllegalStateException if there is none, naming the cases there are
   */
  static Case named(Map<String, Case> cases, String id) {
    Case golden = cases.get(id);
    if (golden == null) {
      throw new IllegalStateException("no golden case '" + id + "'; cases: " + cases.keySet());
    }
    return golden;
  }

  private static GenerateRequest request(JsonNode c, String model) {
    int maxNewTokens = c.get("max_new_tokens").asInt();
    String id = c.get("id").asText();
    if (c.has("prompt")) {
      RawRequestBuilder raw = Requests.raw(model, c.get("prompt").asText());
      c.get("images").forEach(path -> raw.images(image(path.asText())));
      return raw.maxNewTokens(maxNewTokens).temperature(0f).requestId(id).build();
    }
    ChatRequestBuilder chat = Requests.chat(model);
    for (JsonNode message : c.get("messages")) {
      List<Content> parts = new ArrayList<>();
      for (JsonNode part : message.get("content")) {
        parts.add(part.has("text")
            ? Requests.text(part.get("text").asText())
            : Requests.image(image(part.get("image").asText())));
      }
      chat.message(message.get("role").asText(), parts.toArray(Content[]::new));
    }
    return chat.maxNewTokens(maxNewTokens).temperature(0f).requestId(id).build();
  }

  /** Reads a repository-relative image file. */
  static Image image(String repoRelativePath) {
    try {
      return Images.fromFile(TestData.fromRepo(repoRelativePath));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** transformers.js says "stop" when it met EOS and "length" when it hit max_new_tokens. */
  private static FinishReason finishReason(String transformersJs) {
    return switch (transformersJs) {
      case "length" -> FinishReason.FINISH_REASON_LENGTH;
      case "stop" -> FinishReason.FINISH_REASON_EOS;
      default -> throw new IllegalArgumentException("unknown golden finish_reason '" + transformersJs + "'");
    };
  }
}
