package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.server.TestData;
import dev.vlm.server.config.HttpSettings;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.RemoteImageSettings;
import dev.vlm.server.config.RequestLimits;
import dev.vlm.server.config.ServerConfig;
import dev.vlm.server.serving.ModelStatus;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenAI-compatible HTTP API of a real server, over real sockets: every endpoint, the
 * statuses a real server gives (400, 404, 429 with Retry-After, 503), a disconnect that stops
 * generation, and remote images fetched from a loopback HTTP server within the configured bounds.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpApiTest {
  private static final String IMAGE = "testdata/images/noise_32.png";
  private static final int LONG = 450;

  @TempDir static Path temp;
  private RunningServer server;
  private HttpApi http;
  private HttpServer images;

  @BeforeAll
  void start() throws Exception {
    images = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    byte[] png = TestData.bytes(IMAGE);
    images.createContext("/noise.png", x -> {
      x.sendResponseHeaders(200, png.length);
      x.getResponseBody().write(png);
      x.close();
    });
    images.createContext("/big.png", x -> {
      x.sendResponseHeaders(200, 0);
      x.getResponseBody().write(new byte[300_000]);
      x.close();
    });
    images.createContext("/slow.png", x -> {
      try {
        Thread.sleep(3000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      x.sendResponseHeaders(200, png.length);
      x.getResponseBody().write(png);
      x.close();
    });
    images.setExecutor(Executors.newCachedThreadPool());
    images.start();
    RequestLimits d = RequestLimits.defaults();
    // One request in flight per model, so a second one is refused while a long one runs.
    RequestLimits oneAtATime = new RequestLimits(d.maxImageBytes(), d.maxImagePixels(), d.maxImagesPerRequest(), 1,
        d.defaultMaxNewTokens(), d.maxPendingStreamMessages());
    ServerConfig config = ServerConfig.of(0, List.of(
            new ModelSpec("tiny-llava", TestData.tinyLlava(), Optional.empty()),
            new ModelSpec("missing", temp.resolve("does-not-exist"), Optional.empty())))
        .withLimits(oneAtATime)
        .withHttp(new HttpSettings(0, new RemoteImageSettings(true, List.of("127.0.0.1"), 100_000, Duration.ofSeconds(1))));
    server = RunningServer.start(config);
    http = new HttpApi(server.server.httpPort());
  }

  @AfterAll
  void stop() throws InterruptedException {
    server.close();
    images.stop(0);
  }

  private static ObjectNode chat(String imageUrl, int maxTokens) {
    ObjectNode body = JsonNodeFactory.instance.objectNode().put("model", "tiny-llava").put("max_tokens", maxTokens)
        .put("temperature", 0).put("return_token_ids", true);
    ObjectNode message = body.putArray("messages").addObject().put("role", "user");
    message.putArray("content").addObject().put("type", "image_url").putObject("image_url").put("url", imageUrl);
    ((com.fasterxml.jackson.databind.node.ArrayNode) message.get("content")).addObject().put("type", "text")
        .put("text", "Describe it.");
    return body;
  }

  private String dataUrl() {
    return HttpApi.dataUrl(TestData.bytes(IMAGE));
  }

  @Test
  void chatCompletionHasTheOpenAiShape() {
    HttpApi.Reply reply = http.post("/v1/chat/completions", chat(dataUrl(), 5), "x-request-id", "req-42");

    assertThat(reply.status()).as(reply.raw().body()).isEqualTo(200);
    JsonNode json = reply.json();
    assertThat(json.get("id").asText()).isEqualTo("chatcmpl-req-42");
    assertThat(reply.header("x-request-id")).isEqualTo("req-42");
    assertThat(json.get("object").asText()).isEqualTo("chat.completion");
    assertThat(json.get("created").asLong()).isPositive();
    assertThat(json.get("model").asText()).isEqualTo("tiny-llava");
    JsonNode choice = json.get("choices").get(0);
    assertThat(choice.get("message").get("role").asText()).isEqualTo("assistant");
    assertThat(choice.get("finish_reason").asText()).isIn("stop", "length");
    JsonNode usage = json.get("usage");
    assertThat(usage.get("completion_tokens").asInt()).isEqualTo(HttpApi.tokenIds(choice).size());
    assertThat(usage.get("total_tokens").asInt())
        .isEqualTo(usage.get("prompt_tokens").asInt() + usage.get("completion_tokens").asInt());
  }

  @Test
  void stringContentAndMaxCompletionTokensWork() {
    ObjectNode body = JsonNodeFactory.instance.objectNode().put("model", "tiny-llava").put("max_completion_tokens", 3)
        .put("ignore_eos", true).put("top_k", -1).put("seed", 7).put("n", 1);
    body.putArray("messages").addObject().put("role", "user").put("content", "Hello there");

    HttpApi.Reply reply = http.post("/v1/chat/completions", body);

    assertThat(reply.status()).as(reply.raw().body()).isEqualTo(200);
    assertThat(reply.json().get("usage").get("completion_tokens").asInt()).isEqualTo(3);
    assertThat(reply.json().get("choices").get(0).get("finish_reason").asText()).isEqualTo("length");
  }

  @Test
  void streamedChatEndsWithFinishUsageAndDone() throws Exception {
    ObjectNode body = chat(dataUrl(), 6).put("stream", true).put("ignore_eos", true);
    body.putObject("stream_options").put("include_usage", true);

    HttpApi.Reply reply = http.post("/v1/chat/completions", body);

    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.header("content-type")).startsWith("text/event-stream");
    List<String> events = reply.events();
    assertThat(events.getLast()).isEqualTo("[DONE]");
    JsonNode first = HttpApi.JSON.readTree(events.getFirst());
    assertThat(first.get("object").asText()).isEqualTo("chat.completion.chunk");
    assertThat(first.get("choices").get(0).get("delta").get("role").asText()).isEqualTo("assistant");
    JsonNode finish = HttpApi.JSON.readTree(events.get(events.size() - 3));
    assertThat(finish.get("choices").get(0).get("finish_reason").asText()).isEqualTo("length");
    JsonNode usage = HttpApi.JSON.readTree(events.get(events.size() - 2));
    assertThat(usage.get("choices")).isEmpty();
    assertThat(usage.get("usage").get("completion_tokens").asInt()).isEqualTo(6);
  }

  @Test
  void completionTakesARawPromptAndMatchesGrpc() throws Exception {
    ObjectNode body = JsonNodeFactory.instance.objectNode().put("model", "tiny-llava").put("prompt", "USER: Hi ASSISTANT:")
        .put("max_tokens", 8).put("temperature", 0).put("return_token_ids", true);
    GenerateResponse grpc = InferenceGrpc.newBlockingStub(server.channel).generate(
        dev.vlm.api.v1.GenerateRequest.newBuilder().setModel("tiny-llava").setPrompt("USER: Hi ASSISTANT:")
            .setSampling(dev.vlm.api.v1.SamplingParams.newBuilder().setMaxNewTokens(8).setTemperature(0)).build());

    HttpApi.Reply whole = http.post("/v1/completions", body);
    HttpApi.Reply streamed = http.post("/v1/completions", body.deepCopy().put("stream", true));

    assertThat(whole.status()).as(whole.raw().body()).isEqualTo(200);
    assertThat(whole.json().get("object").asText()).isEqualTo("text_completion");
    JsonNode choice = whole.json().get("choices").get(0);
    assertThat(choice.get("text").asText()).isEqualTo(grpc.getText());
    assertThat(HttpApi.tokenIds(choice)).isEqualTo(grpc.getTokenIdsList());
    StringBuilder text = new StringBuilder();
    for (String event : streamed.events()) {
      if (!event.equals("[DONE]")) {
        text.append(HttpApi.JSON.readTree(event).get("choices").get(0).get("text").asText());
      }
    }
    assertThat(text.toString()).isEqualTo(grpc.getText());
  }

  @Test
  void modelsAreListedAndLookedUp() {
    HttpApi.Reply list = http.get("/v1/models");
    HttpApi.Reply one = http.get("/v1/models/tiny-llava");
    HttpApi.Reply none = http.get("/v1/models/nope");

    assertThat(list.status()).isEqualTo(200);
    assertThat(list.json().get("object").asText()).isEqualTo("list");
    assertThat(list.json().get("data").findValuesAsText("id")).containsExactly("missing", "tiny-llava");
    assertThat(one.json().get("object").asText()).isEqualTo("model");
    assertThat(one.json().get("id").asText()).isEqualTo("tiny-llava");
    assertThat(none.status()).isEqualTo(404);
    assertThat(none.json().get("error").get("code").asText()).isEqualTo("model_not_found");
  }

  @Test
  void healthAndMetricsAreOnTheHttpPortToo() {
    // A model's series appear once it has been loaded.
    assertThat(http.post("/v1/chat/completions", chat(dataUrl(), 1)).status()).isEqualTo(200);
    HttpApi.Reply health = http.get("/health");
    HttpApi.Reply metrics = http.get("/metrics");

    assertThat(health.status()).isEqualTo(200);
    assertThat(metrics.status()).isEqualTo(200);
    assertThat(metrics.header("content-type")).startsWith("text/plain");
    assertThat(metrics.raw().body()).contains("vlm:num_requests_waiting", "vlm:kv_cache_usage_perc");
  }

  @Test
  void badRequestsAre400NamingTheField() {
    assertError(http.post("/v1/chat/completions", chat(dataUrl(), 2).put("n", 2)), 400, "n", "n = 1");
    assertError(http.post("/v1/chat/completions", chat(dataUrl(), 2).put("tools", "x")), 400, "tools", "unrecognized");
    assertError(http.post("/v1/chat/completions", chat(dataUrl(), 2).put("top_p", 1.5)), 400, "top_p", "(0, 1]");
    assertError(http.post("/v1/chat/completions", chat(dataUrl(), 2).put("temperature", "hot")), 400, "temperature",
        "number");
    assertError(http.post("/v1/chat/completions", chat("file:///etc/passwd", 2)), 400,
        "messages[0].content[0].image_url", "data: URL");
    assertError(http.post("/v1/chat/completions", chat("data:image/png;base64,!!", 2)), 400,
        "messages[0].content[0].image_url", "base64");
    assertError(http.post("/v1/chat/completions", "{not json"), 400, null, "not valid JSON");
    assertError(http.post("/v1/completions", JsonNodeFactory.instance.objectNode().put("model", "tiny-llava")), 400,
        "prompt", "required");
    assertError(http.post("/v1/chat/completions", chat(dataUrl(), 2), "x-tenant", "bad tenant!"), 400, "x-tenant",
        "header");
  }

  @Test
  void unknownModelIs404AndFailedModelIs503() {
    assertError(http.post("/v1/chat/completions", chat(dataUrl(), 2).put("model", "nope")), 404, null, "nope");
    HttpApi.Reply failed = http.post("/v1/chat/completions", chat(dataUrl(), 2).put("model", "missing"));
    assertError(failed, 503, null, "does-not-exist");
    assertThat(failed.header("retry-after")).isNotNull();
    HttpApi.Reply failedStream = http.post("/v1/chat/completions", chat(dataUrl(), 2).put("model", "missing")
        .put("stream", true));
    assertError(failedStream, 503, null, "does-not-exist");
  }

  @Test
  void aFullQueueIs429WithRetryAfterAndADisconnectStopsGeneration() throws Exception {
    long before = status().generatedTokens();
    try (Socket socket = new Socket("127.0.0.1", server.server.httpPort())) {
      String body = HttpApi.toJson(chat(dataUrl(), LONG).put("stream", true).put("ignore_eos", true));
      socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
          + "content-length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body)
          .getBytes(StandardCharsets.UTF_8));
      InputStream in = socket.getInputStream();
      BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      String line;
      while ((line = lines.readLine()) != null && !line.startsWith("data: ")) {
        // Status line and headers; the first event shows generation is under way.
      }
      assertThat(line).startsWith("data: ");

      HttpApi.Reply refused = http.post("/v1/chat/completions", chat(dataUrl(), 2));
      assertError(refused, 429, null, "limit");
      assertThat(refused.header("retry-after")).isEqualTo("1");
    }
    // The socket is closed: the server cancels the call and frees the model.
    ModelStatus after = LongRequests.awaitModel(server.server, "tiny-llava", m -> m.inFlightRequests() == 0,
        Duration.ofSeconds(10));
    assertThat(after.inFlightRequests()).isZero();
    assertThat(after.generatedTokens() - before).isLessThan(LONG);
  }

  @Test
  void remoteImagesAreFetchedFromAllowedHostsWithinBounds() {
    String base = "http://127.0.0.1:" + images.getAddress().getPort();
    HttpApi.Reply fetched = http.post("/v1/chat/completions", chat(base + "/noise.png", 4));
    HttpApi.Reply inline = http.post("/v1/chat/completions", chat(dataUrl(), 4));

    assertThat(fetched.status()).as(fetched.raw().body()).isEqualTo(200);
    assertThat(HttpApi.tokenIds(fetched.json().get("choices").get(0)))
        .isEqualTo(HttpApi.tokenIds(inline.json().get("choices").get(0)));
    String field = "messages[0].content[0].image_url";
    assertError(http.post("/v1/chat/completions",
        chat("http://localhost:" + images.getAddress().getPort() + "/noise.png", 4)), 400, field, "not in");
    assertError(http.post("/v1/chat/completions", chat(base + "/big.png", 4)), 400, field, "larger");
    assertError(http.post("/v1/chat/completions", chat(base + "/slow.png", 4)), 400, field, "longer than");
    assertError(http.post("/v1/chat/completions", chat(base + "/missing.png", 4)), 400, field, "HTTP 404");
  }

  private ModelStatus status() throws InterruptedException {
    return LongRequests.awaitModel(server.server, "tiny-llava", m -> true, Duration.ofSeconds(1));
  }

  static void assertError(HttpApi.Reply reply, int status, String param, String mention) {
    assertThat(reply.status()).as(reply.raw().body()).isEqualTo(status);
    assertThat(reply.header("content-type")).startsWith("application/json");
    JsonNode error = reply.json().get("error");
    assertThat(error.get("message").asText()).contains(mention);
    assertThat(error.get("type").asText()).isNotBlank();
    if (param != null) {
      assertThat(error.get("param").asText()).isEqualTo(param);
    }
  }
}
