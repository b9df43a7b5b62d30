package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vlm.server.TestData;
import dev.vlm.server.config.HttpSettings;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.RequestLimits;
import dev.vlm.server.config.RuntimeSettings;
import dev.vlm.server.config.ServerConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Graceful shutdown seen over HTTP: while the server drains, {@code /health} and new requests
 * answer 503, and a stream already running finishes within the grace period.
 */
class HttpShutdownTest {
  @Test
  void aRunningStreamFinishesWhileHealthAndNewRequestsAre503() throws Exception {
    ServerConfig config = new ServerConfig(
            0, List.of(new ModelSpec("tiny-llava", TestData.tinyLlava(), Optional.empty())),
            RuntimeSettings.defaults(), RequestLimits.defaults(), Duration.ofSeconds(30))
        .withHttp(HttpSettings.off().withPort(0));
    RunningServer server = RunningServer.start(config);
    HttpApi http = new HttpApi(server.server.httpPort());
    ObjectNode body = JsonNodeFactory.instance.objectNode().put("model", "tiny-llava").put("max_tokens", 300)
        .put("ignore_eos", true).put("stream", true);
    body.putArray("messages").addObject().put("role", "user").put("content", "Count.");
    body.putObject("stream_options").put("include_usage", true);
    HttpResponse<Stream<String>> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.server.httpPort() + "/v1/chat/completions"))
            .POST(HttpRequest.BodyPublishers.ofString(HttpApi.toJson(body))).build(),
        HttpResponse.BodyHandlers.ofLines());
    Iterator<String> lines = response.body().filter(l -> l.startsWith("data: ")).iterator();
    assertThat(lines.next()).contains("assistant");

    Thread closer = Thread.ofPlatform().start(server.server::close);
    HttpApi.Reply health = http.get("/health");
    for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        health.status() == 200 && System.nanoTime() < deadline; health = http.get("/health")) {
      Thread.sleep(10);
    }
    ObjectNode unary = body.deepCopy().put("stream", false);
    unary.remove("stream_options");
    HttpApi.Reply refused = http.post("/v1/chat/completions", unary);
    String last = null;
    String usage = null;
    while (lines.hasNext()) {
      String line = lines.next();
      usage = line.contains("\"usage\":{") ? line : usage;
      last = line;
    }
    closer.join(TimeUnit.SECONDS.toMillis(30));

    assertThat(health.status()).isEqualTo(503);
    assertThat(refused.status()).isEqualTo(503);
    assertThat(last).isEqualTo("data: [DONE]");
    JsonNode counts = HttpApi.JSON.readTree(usage.substring("data: ".length())).get("usage");
    assertThat(counts.get("completion_tokens").asInt()).isEqualTo(300);
    server.channel.shutdownNow();
  }
}
