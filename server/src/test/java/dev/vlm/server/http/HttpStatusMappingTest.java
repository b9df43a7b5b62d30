package dev.vlm.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Duration;
import com.google.rpc.Code;
import com.google.rpc.RetryInfo;
import dev.vlm.api.v1.FinishReason;
import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.api.v1.Usage;
import dev.vlm.server.config.HttpSettings;
import dev.vlm.server.metrics.ServerMetrics;
import io.grpc.Metadata;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The statuses a gRPC service behind the HTTP API can end a call with, each as its OpenAI error
 * over a real HTTP socket. The gRPC side is a stand-in that answers by the request's model name
 * and checks the forwarded {@code authorization} header as an API-key interceptor would, so
 * statuses the real server gives only under configuration (401, 403, 429 with RetryInfo, 504)
 * are covered here; the real server's own are in {@code HttpApiTest}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpStatusMappingTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private Server grpc;
  private ManagedChannel channel;
  private HttpEndpoint endpoint;
  private final HttpClient client = HttpClient.newHttpClient();

  /** Rejects calls without a key (401) or with the key of a tenant that may not use the API (403). */
  private static final class ApiKeys implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
      String key = headers.get(AUTHORIZATION);
      if (key == null) {
        call.close(Status.UNAUTHENTICATED.withDescription("an API key is required: authorization: Bearer KEY"),
            new Metadata());
        return new ServerCall.Listener<>() {};
      }
      if (!key.equals("Bearer good")) {
        call.close(Status.PERMISSION_DENIED.withDescription("this key may not use the model"), new Metadata());
        return new ServerCall.Listener<>() {};
      }
      return next.startCall(call, headers);
    }
  }

  /** Fails with the status its model name spells, or answers "ok". */
  private static final class ByModelName extends InferenceGrpc.InferenceImplBase {
    @Override
    public void generate(GenerateRequest request, StreamObserver<GenerateResponse> observer) {
      switch (request.getModel()) {
        case "busy" -> observer.onError(StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
            .setCode(Code.RESOURCE_EXHAUSTED_VALUE).setMessage("queue full")
            .addDetails(com.google.protobuf.Any.pack(RetryInfo.newBuilder()
                .setRetryDelay(Duration.newBuilder().setSeconds(6).setNanos(500_000_000)).build()))
            .build()));
        case "slow" -> observer.onError(Status.DEADLINE_EXCEEDED.withDescription("deadline passed").asException());
        case "broken" -> observer.onError(Status.INTERNAL.withDescription("internal error: boom").asException());
        default -> {
          observer.onNext(GenerateResponse.newBuilder().setText("ok").setFinishReason(FinishReason.FINISH_REASON_EOS)
              .setUsage(Usage.newBuilder().setPromptTokens(3).setCompletionTokens(1)).build());
          observer.onCompleted();
        }
      }
    }
  }

  @BeforeAll
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    grpc = InProcessServerBuilder.forName(name)
        .addService(ServerInterceptors.intercept(new ByModelName(), new ApiKeys())).build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    endpoint = HttpEndpoint.start(HttpSettings.off().withPort(0), channel, new ServerMetrics(), 1 << 20, Optional.empty());
  }

  @AfterAll
  void stop() {
    endpoint.close();
    channel.shutdownNow();
    grpc.shutdownNow();
  }

  private HttpResponse<String> chat(String model, String authorization) throws Exception {
    String body = "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port() + "/v1/chat/completions"))
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (authorization != null) {
      request.header("authorization", authorization);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @ParameterizedTest(name = "{0} with {1} -> {2}")
  @CsvSource(nullValues = "none", value = {
      "ok, none, 401, authentication_error, API key",
      "ok, Bearer other, 403, permission_error, may not",
      "slow, Bearer good, 504, timeout_error, deadline",
      "broken, Bearer good, 500, internal_error, boom"})
  void statusesBecomeOpenAiErrors(String model, String key, int status, String type, String mention) throws Exception {
    HttpResponse<String> response = chat(model, key);

    assertThat(response.statusCode()).isEqualTo(status);
    JsonNode error = JSON.readTree(response.body()).get("error");
    assertThat(error.get("type").asText()).isEqualTo(type);
    assertThat(error.get("message").asText()).contains(mention);
  }

  @Test
  void resourceExhaustedIs429WithRetryInfoAsRetryAfter() throws Exception {
    HttpResponse<String> response = chat("busy", "Bearer good");

    assertThat(response.statusCode()).isEqualTo(429);
    // 6.5 s, rounded up to whole seconds.
    assertThat(response.headers().firstValue("retry-after")).hasValue("7");
    assertThat(JSON.readTree(response.body()).get("error").get("type").asText()).isEqualTo("rate_limit_error");
  }

  @Test
  void theAuthorizationHeaderReachesTheGrpcCall() throws Exception {
    HttpResponse<String> response = chat("ok", "Bearer good");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(response.body()).get("choices").get(0).get("message").get("content").asText()).isEqualTo("ok");
  }

  @Test
  void aBodyOverTheLimitIs413InOpenAiShape() throws Exception {
    String body = "{\"model\":\"ok\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(2 << 20) + "\"}]}";
    HttpResponse<String> response = client.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port() + "/v1/chat/completions"))
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(413);
    assertThat(JSON.readTree(response.body()).get("error").get("message").asText()).contains("limit");
  }

  @Test
  void servesHttpsWithAPemCertificate() throws Exception {
    Path dir = Path.of(getClass().getResource("/tls/cert.pem").toURI()).getParent();
    try (HttpEndpoint tls = HttpEndpoint.start(HttpSettings.off().withPort(0), channel, new ServerMetrics(), 1 << 20,
        Optional.of(new HttpTls(dir.resolve("cert.pem"), dir.resolve("key.pem"))))) {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      try (InputStream pem = Files.newInputStream(dir.resolve("cert.pem"))) {
        trust.setCertificateEntry("server", CertificateFactory.getInstance("X.509").generateCertificate(pem));
      }
      TrustManagerFactory trusted = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trusted.init(trust);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, trusted.getTrustManagers(), null);
      HttpClient https = HttpClient.newBuilder().sslContext(ssl).build();

      HttpResponse<String> response = https.send(
          HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + tls.port() + "/v1/chat/completions"))
              .header("authorization", "Bearer good")
              .POST(HttpRequest.BodyPublishers.ofString(
                  "{\"model\":\"ok\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
              .build(),
          HttpResponse.BodyHandlers.ofString());

      assertThat(response.statusCode()).isEqualTo(200);
    }
  }

  @Test
  void unknownPathsAre404InOpenAiShape() throws Exception {
    HttpResponse<String> response = client.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port() + "/v1/embeddings")).GET().build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(response.body()).get("error").get("message").asText()).contains("/v1/embeddings");
  }
}
