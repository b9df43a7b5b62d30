package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vlm.server.TestData;
import dev.vlm.server.auth.ApiKey;
import dev.vlm.server.config.AuthSettings;
import dev.vlm.server.config.HttpSettings;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.RemoteImageSettings;
import dev.vlm.server.config.ServerConfig;
import dev.vlm.server.config.TenantPolicies;
import dev.vlm.server.config.TenantPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP API goes through the same authentication and tenant policies as gRPC: with API keys
 * configured, a request without a valid key is 401, a tenant's hidden model is 404 exactly as an
 * unknown one, and a valid key is served.
 */
class HttpAuthTest {
  @TempDir Path dir;

  @Test
  void keysAndTenantPoliciesApplyToHttp() throws Exception {
    Path keys = dir.resolve("keys.yaml");
    Files.writeString(keys, "- key_sha256: " + ApiKey.sha256Hex("team-a-key") + "\n  tenant: team-a\n  role: user\n");
    ServerConfig config = ServerConfig.of(0, List.of(
            new ModelSpec("tiny-llava", TestData.tinyLlava(), Optional.empty()),
            new ModelSpec("hidden", TestData.tinyLlava(), Optional.empty())))
        .withHttp(new HttpSettings(0, RemoteImageSettings.disabled()))
        .withAuth(Optional.of(new AuthSettings(Optional.of(keys), false, Duration.ofSeconds(1))))
        .withTenants(TenantPolicies.of(List.of(
            new TenantPolicy("team-a", 0, 0, TenantPolicy.MAX_PRIORITY, Optional.of(Set.of("tiny-llava"))))));
    try (RunningServer server = RunningServer.start(config)) {
      HttpApi http = new HttpApi(server.server.httpPort());

      HttpApi.Reply noKey = http.post("/v1/chat/completions", chat("tiny-llava"));
      HttpApi.Reply wrongKey = http.post("/v1/chat/completions", chat("tiny-llava"), "authorization", "Bearer nope");
      HttpApi.Reply hidden = http.post("/v1/chat/completions", chat("hidden"), "authorization", "Bearer team-a-key");
      HttpApi.Reply unknown = http.post("/v1/chat/completions", chat("nowhere"), "authorization", "Bearer team-a-key");
      HttpApi.Reply served = http.post("/v1/chat/completions", chat("tiny-llava"), "authorization", "Bearer team-a-key");
      HttpApi.Reply models = http.get("/v1/models", "authorization", "Bearer team-a-key");

      assertThat(noKey.status()).isEqualTo(401);
      assertThat(wrongKey.status()).isEqualTo(401);
      assertThat(hidden.status()).isEqualTo(404);
      assertThat(unknown.status()).isEqualTo(404);
      assertThat(hidden.raw().body().replace("hidden", "X")).isEqualTo(unknown.raw().body().replace("nowhere", "X"));
      assertThat(served.status()).isEqualTo(200);
      assertThat(models.status()).isEqualTo(200);
      assertThat(models.raw().body()).contains("tiny-llava").doesNotContain("hidden");
    }
  }

  private static ObjectNode chat(String model) {
    ObjectNode body = HttpApi.JSON.createObjectNode().put("model", model).put("max_tokens", 3);
    body.putArray("messages").addObject().put("role", "user").put("content", "Hello");
    return body;
  }
}
