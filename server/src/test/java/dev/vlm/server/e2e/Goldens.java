package dev.vlm.server.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.vlm.api.v1.Content;
import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.Image;
import dev.vlm.api.v1.Message;
import dev.vlm.api.v1.SamplingParams;
import dev.vlm.server.TestData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** The transformers.js golden outputs (testdata/goldens/*.json) as gRPC requests. */
final class Goldens {
  /** The Python-transformers goldens of a fixture, {@code testdata/goldens/python/MODEL.json}. */
  static List<Case> python(String model) {
    return load("python/" + model + ".json", model);
  }

  /**
   * @param id the case's name
   * @param request the request that reproduces it greedily
   * @param tokenIds the tokens transformers.js generated
   * @param text their decoded text
   * @param finishReason transformers.js' word: "length" or "stop" (EOS)
   * @param promptTokens length of transformers.js' input_ids
   * @param imageTokens image tokens in them
   */
  record Case(
      String id, GenerateRequest request, List<Integer> tokenIds, String text, String finishReason,
      int promptTokens, int imageTokens) {
    @Override
    public String toString() {
      return id;
    }
  }

  private Goldens() {}

  static List<Case> load(String file, String modelName) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(TestData.root().resolve("goldens").resolve(file).toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<Case> cases = new ArrayList<>();
    for (JsonNode c : root.get("cases")) {
      GenerateRequest.Builder request =
          GenerateRequest.newBuilder()
              .setModel(modelName)
              .setRequestId(c.get("id").asText())
              .setSampling(
                  SamplingParams.newBuilder()
                      .setMaxNewTokens(c.get("max_new_tokens").asInt())
                      .setTemperature(0f));
      if (c.has("prompt")) {
        request.setPrompt(c.get("prompt").asText());
        c.get("images").forEach(path -> request.addImages(image(path.asText())));
      } else {
        for (JsonNode m : c.get("messages")) {
          Message.Builder message = Message.newBuilder().setRole(m.get("role").asText());
          for (JsonNode part : m.get("content")) {
            if (part.has("text")) {
              message.addContent(Content.newBuilder().setText(part.get("text").asText()));
            } else {
              message.addContent(Content.newBuilder().setImage(image(part.get("image").asText())));
            }
          }
          request.addMessages(message);
        }
      }
      List<Integer> ids = new ArrayList<>();
      c.get("generated_ids").forEach(id -> ids.add(id.asInt()));
      cases.add(new Case(
          c.get("id").asText(), request.build(), ids, c.get("text").asText(), c.get("finish_reason").asText(),
          c.get("input_ids").size(), c.get("num_image_tokens").asInt()));
    }
    return cases;
  }

  static Image image(String repoRelativePath) {
    return Image.newBuilder().setData(ByteString.copyFrom(TestData.bytes(repoRelativePath))).build();
  }
}
