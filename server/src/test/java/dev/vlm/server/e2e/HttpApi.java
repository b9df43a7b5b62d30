package dev.vlm.server.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vlm.api.v1.Content;
import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.Message;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** A plain HTTP client for the server's OpenAI-compatible API, over a real socket. */
final class HttpApi {
  static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final String base;

  HttpApi(int port) {
    this.base = "http://127.0.0.1:" + port;
  }

  /** A response, its body parsed as JSON where it is JSON. */
  record Reply(int status, HttpResponse<String> raw) {
    JsonNode json() {
      try {
        return JSON.readTree(raw.body());
      } catch (IOException e) {
        throw new UncheckedIOException("not JSON: " + raw.body(), e);
      }
    }

    String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }

    /** The {@code data:} payloads of a server-sent-event body, in order. */
    List<String> events() {
      List<String> events = new ArrayList<>();
      for (String block : raw.body().split("\n\n")) {
        if (block.startsWith("data: ")) {
          events.add(block.substring("data: ".length()));
        }
      }
      return events;
    }
  }

  Reply post(String path, Object body, String... headers) {
    String text = body instanceof String s ? s : toJson(body);
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
        .timeout(Duration.ofMinutes(2))
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(text));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return send(request.build());
  }

  Reply get(String path, String... headers) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofMinutes(1)).GET();
    if (headers.length > 0) {
      request.headers(headers);
    }
    return send(request.build());
  }

  private Reply send(HttpRequest request) {
    try {
      HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
      return new Reply(response.statusCode(), response);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static String toJson(Object body) {
    try {
      return JSON.writeValueAsString(body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The OpenAI chat body that asks what a gRPC chat request asks, images as data: URLs. */
  static ObjectNode chatBody(GenerateRequest request) {
    ObjectNode body = JsonNodeFactory.instance.objectNode().put("model", request.getModel());
    ArrayNode messages = body.putArray("messages");
    for (Message m : request.getMessagesList()) {
      ObjectNode message = messages.addObject().put("role", m.getRole());
      ArrayNode parts = message.putArray("content");
      for (Content c : m.getContentList()) {
        if (c.hasText()) {
          parts.addObject().put("type", "text").put("text", c.getText());
        } else {
          parts.addObject().put("type", "image_url").putObject("image_url")
              .put("url", dataUrl(c.getImage().getData().toByteArray()));
        }
      }
    }
    body.put("max_tokens", request.getSampling().getMaxNewTokens());
    body.put("temperature", 0);
    body.put("return_token_ids", true);
    return body;
  }

  static String dataUrl(byte[] png) {
    return "data:image/png;base64," + Base64.getEncoder().encodeToString(png);
  }

  /** Token ids of a response's first choice. */
  static List<Integer> tokenIds(JsonNode choice) {
    List<Integer> ids = new ArrayList<>();
    choice.path("token_ids").forEach(id -> ids.add(id.asInt()));
    return ids;
  }
}
