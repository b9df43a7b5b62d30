package dev.vlm.server.e2e;

import static dev.vlm.server.e2e.GrpcAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.RetryInfo;
import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.GetModelRequest;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.api.v1.ListModelsRequest;
import dev.vlm.api.v1.LoadModelRequest;
import dev.vlm.api.v1.ModelInfo;
import dev.vlm.api.v1.ModelsGrpc;
import dev.vlm.api.v1.UnloadModelRequest;
import dev.vlm.server.TestData;
import dev.vlm.server.TestPki;
import dev.vlm.server.VlmServer;
import dev.vlm.server.auth.ApiKey;
import dev.vlm.server.config.AuthSettings;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.ServerConfig;
import dev.vlm.server.config.TenantPolicies;
import dev.vlm.server.config.TenantPolicy;
import dev.vlm.server.config.TlsSettings;
import dev.vlm.server.metrics.TenantMetrics;
import dev.vlm.server.serving.ModelStatus;
import dev.vlm.server.tls.PemTls;
import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.ClientInterceptors;
import io.grpc.Context;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.StatusProto;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The security model end to end: a real server with mutual TLS on both ports, API keys, tenant
 * model lists and quotas, called over real sockets. Every refused call gets its exact status and
 * leaves the server as it was.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecurityTest {
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> TENANT = Metadata.Key.of("x-tenant", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> CLAMPED =
      Metadata.Key.of("x-vlm-priority-clamped", Metadata.ASCII_STRING_MARSHALLER);

  private Path dir;
  private Path keysFile;
  private TestPki trusted;
  private TestPki.Issued client;
  private VlmServer server;
  private ManagedChannel channel;

  @BeforeAll
  void start(@TempDir Path tempDir) throws Exception {
    dir = tempDir;
    trusted = TestPki.newCa(dir, "trusted");
    TestPki.Issued serverCert = trusted.issue("localhost");
    client = trusted.issue("some-client");
    keysFile = dir.resolve("keys.yaml");
    Files.writeString(keysFile, keys(true));
    Path model = TestData.tinyLlava();
    ServerConfig config = ServerConfig.of(0, List.of(
            new ModelSpec("tiny-llava", model, Optional.empty()), new ModelSpec("secret-llava", model, Optional.empty())))
        .withMetricsPort(0)
        .withListenAddress(Optional.of("127.0.0.1"))
        .withTls(Optional.of(new TlsSettings(serverCert.certificate(), serverCert.privateKey(),
            Optional.of(trusted.caCertificate()))))
        .withAuth(Optional.of(new AuthSettings(Optional.of(keysFile), false, Duration.ofMillis(100))))
        .withTenants(TenantPolicies.of(List.of(
            new TenantPolicy("team-a", 0, 0, 10, Optional.of(Set.of("tiny-llava"))),
            new TenantPolicy("one", 1, 0, 100, Optional.empty()),
            new TenantPolicy("ratey", 0, 30, 100, Optional.empty()))));
    server = VlmServer.start(config);
    channel = channel(TlsChannelCredentials.newBuilder()
        .trustManager(trusted.caCertificate().toFile())
        .keyManager(client.certificate().toFile(), client.privateKey().toFile())
        .build());
  }

  @AfterAll
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
  }

  private String keys(boolean withRevocable) {
    String keys = entry("user-key", "team-a", "user") + entry("admin-key", "ops", "admin")
        + entry("gateway-key", "edge", "gateway") + entry("one-key", "one", "user") + entry("rate-key", "ratey", "user");
    return withRevocable ? keys + entry("revoke-me", "team-a", "user") : keys;
  }

  private static String entry(String key, String tenant, String role) {
    return "- key_sha256: " + ApiKey.sha256Hex(key) + "\n  tenant: " + tenant + "\n  role: " + role + "\n";
  }

  private ManagedChannel channel(ChannelCredentials credentials) {
    return Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(), credentials).build();
  }

  private static Metadata headers(String key, String tenant) {
    Metadata headers = new Metadata();
    if (key != null) {
      headers.put(AUTHORIZATION, "Bearer " + key);
    }
    if (tenant != null) {
      headers.put(TENANT, tenant);
    }
    return headers;
  }

  private Channel as(String key) {
    return as(key, null);
  }

  private Channel as(String key, String tenant) {
    return ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers(key, tenant)));
  }

  private static GenerateRequest shortRequest(String model) {
    return LongRequests.ofTokens(2).toBuilder().setModel(model).build();
  }

  private static List<String> listed(Channel channel) {
    return ModelsGrpc.newBlockingStub(channel).listModels(ListModelsRequest.getDefaultInstance())
        .getModelsList().stream().map(ModelInfo::getName).toList();
  }

  /** Model states and requests in flight: what a refused call must not change. */
  private List<String> serverState() {
    return server.models().stream().map(m -> m.name() + ":" + m.state() + ":" + m.inFlightRequests()).toList();
  }

  private void assertRefusedWithoutChange(Runnable call, Status.Code code, String... mentions) {
    List<String> before = serverState();
    assertStatus(call::run, code, mentions);
    assertThat(serverState()).isEqualTo(before);
  }

  @Test
  void aCallWithoutAKeyIsUnauthenticatedButHealthAndReflectionNeedNone() throws Exception {
    assertRefusedWithoutChange(() -> InferenceGrpc.newBlockingStub(as(null)).generate(shortRequest("tiny-llava")),
        Status.Code.UNAUTHENTICATED, "authorization: Bearer KEY");
    assertRefusedWithoutChange(() -> listed(as(null)), Status.Code.UNAUTHENTICATED, "needs credentials");
    assertThat(HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.getDefaultInstance()).getStatus())
        .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    CompletableFuture<ServerReflectionResponse> reply = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> reflection =
        ServerReflectionGrpc.newStub(channel).serverReflectionInfo(new StreamObserver<>() {
          @Override
          public void onNext(ServerReflectionResponse response) {
            reply.complete(response);
          }

          @Override
          public void onError(Throwable t) {
            reply.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {}
        });
    reflection.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    reflection.onCompleted();
    assertThat(reply.get(10, TimeUnit.SECONDS).getListServicesResponse().getServiceList())
        .extracting(ServiceResponse::getName).contains("vlm.v1.Inference", "vlm.v1.Models");
  }

  @Test
  void aWrongKeyIsUnauthenticated() {
    assertRefusedWithoutChange(() -> InferenceGrpc.newBlockingStub(as("guess")).generate(shortRequest("tiny-llava")),
        Status.Code.UNAUTHENTICATED, "unknown or revoked");
    assertRefusedWithoutChange(() -> listed(as("user-key2")), Status.Code.UNAUTHENTICATED, "unknown or revoked");
  }

  @Test
  void aKeyRemovedFromTheFileWhileServingIsRevoked() throws Exception {
    assertThat(listed(as("revoke-me"))).containsExactly("tiny-llava");
    Files.writeString(keysFile, keys(false));
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      try {
        listed(as("revoke-me"));
      } catch (StatusRuntimeException e) {
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        break;
      }
      assertThat(System.nanoTime()).as("key still valid after 10 s").isLessThan(deadline);
      Thread.sleep(20);
    }
    assertThat(listed(as("user-key"))).containsExactly("tiny-llava");
    // A malformed edit keeps the keys in force.
    Files.writeString(keysFile, "- key_sha256: not-a-hash\n");
    Thread.sleep(400);
    assertThat(listed(as("user-key"))).containsExactly("tiny-llava");
    Files.writeString(keysFile, keys(false));
  }

  @Test
  void aUserKeyMayNotLoadOrUnloadModelsAnAdminKeyMay() {
    ModelsGrpc.ModelsBlockingStub admin = ModelsGrpc.newBlockingStub(as("admin-key"));
    admin.loadModel(LoadModelRequest.newBuilder().setName("tiny-llava").build());
    ModelsGrpc.ModelsBlockingStub user = ModelsGrpc.newBlockingStub(as("user-key"));
    assertRefusedWithoutChange(() -> user.unloadModel(UnloadModelRequest.newBuilder().setName("tiny-llava").build()),
        Status.Code.PERMISSION_DENIED, "UnloadModel needs role admin", "role user");
    assertRefusedWithoutChange(() -> user.loadModel(LoadModelRequest.newBuilder().setName("tiny-llava").build()),
        Status.Code.PERMISSION_DENIED, "LoadModel needs role admin");
    assertThat(user.getModel(GetModelRequest.newBuilder().setName("tiny-llava").build()).getState().name())
        .isEqualTo("MODEL_STATE_LOADED");
  }

  @Test
  void aUserKeyCannotSpeakForAnotherTenantButAGatewayCan() {
    // team-a sees one model; ops (the default policy) sees both.
    assertThat(listed(as("admin-key"))).containsExactly("secret-llava", "tiny-llava");
    assertThat(listed(as("user-key", "ops"))).containsExactly("tiny-llava");
    assertRefusedWithoutChange(
        () -> InferenceGrpc.newBlockingStub(as("user-key", "ops")).generate(shortRequest("secret-llava")),
        Status.Code.NOT_FOUND, "secret-llava");
    // A gateway forwards its callers' tenants; without x-tenant it is its own tenant.
    assertThat(listed(as("gateway-key", "team-a"))).containsExactly("tiny-llava");
    assertThat(listed(as("gateway-key"))).containsExactly("secret-llava", "tiny-llava");
  }

  @Test
  void aModelATenantMayNotUseLooksExactlyLikeAnUnknownOne() {
    InferenceGrpc.InferenceBlockingStub user = InferenceGrpc.newBlockingStub(as("user-key"));
    String hidden = descriptionOf(() -> user.generate(shortRequest("secret-llava")), Status.Code.NOT_FOUND);
    String unknown = descriptionOf(() -> user.generate(shortRequest("no-such-llava")), Status.Code.NOT_FOUND);
    assertThat(hidden.replace("secret-llava", "X")).isEqualTo(unknown.replace("no-such-llava", "X"));
    assertThat(hidden).doesNotContain("secret-llava]").contains("[tiny-llava]");
    ModelsGrpc.ModelsBlockingStub models = ModelsGrpc.newBlockingStub(as("user-key"));
    assertRefusedWithoutChange(() -> models.getModel(GetModelRequest.newBuilder().setName("secret-llava").build()),
        Status.Code.NOT_FOUND, "is not served here");
    assertThat(user.generate(shortRequest("tiny-llava")).getUsage().getCompletionTokens()).isEqualTo(2);
  }

  private String descriptionOf(Runnable call, Status.Code code) {
    List<String> before = serverState();
    StatusRuntimeException e = (StatusRuntimeException) catchThrowable(call::run);
    assertThat(e.getStatus().getCode()).isEqualTo(code);
    assertThat(serverState()).isEqualTo(before);
    return e.getStatus().getDescription();
  }

  @Test
  void aPlaintextClientCannotTalkToTheTlsPort() throws InterruptedException {
    ManagedChannel plaintext = channel(InsecureChannelCredentials.create());
    try {
      assertRefusedWithoutChange(() -> listed(ClientInterceptors.intercept(plaintext,
          MetadataUtils.newAttachHeadersInterceptor(headers("admin-key", null)))), Status.Code.UNAVAILABLE, "");
    } finally {
      plaintext.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void aClientCertificateFromAnotherCaIsRefused() throws Exception {
    TestPki rogue = TestPki.newCa(dir, "rogue");
    TestPki.Issued impostor = rogue.issue("some-client");
    ManagedChannel other = channel(TlsChannelCredentials.newBuilder()
        .trustManager(trusted.caCertificate().toFile())
        .keyManager(impostor.certificate().toFile(), impostor.privateKey().toFile())
        .build());
    try {
      assertRefusedWithoutChange(() -> listed(ClientInterceptors.intercept(other,
          MetadataUtils.newAttachHeadersInterceptor(headers("admin-key", null)))), Status.Code.UNAVAILABLE, "");
    } finally {
      other.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void aTenantOverItsConcurrencyIsRefusedWithARetryDelayAndOthersAreNot() throws Exception {
    Context.CancellableContext running = Context.current().withCancellation();
    try {
      Iterator<GenerateResponse> stream = running.call(() ->
          InferenceGrpc.newBlockingStub(as("one-key")).generateStream(LongRequests.ofTokens(470)));
      stream.next(); // the first request holds the tenant's only slot
      List<String> before = serverState();
      StatusRuntimeException refused = catchThrowableOfType(
          StatusRuntimeException.class,
          () -> InferenceGrpc.newBlockingStub(as("one-key")).generate(shortRequest("tiny-llava")));
      assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(refused.getStatus().getDescription()).contains("tenant 'one' has 1 requests in flight");
      assertThat(retryDelay(refused)).isPositive();
      assertThat(serverState()).isEqualTo(before);
      // Another tenant is unaffected.
      assertThat(InferenceGrpc.newBlockingStub(as("user-key")).generate(shortRequest("tiny-llava"))
          .getUsage().getCompletionTokens()).isEqualTo(2);
    } finally {
      running.cancel(null);
    }
    // Once the slot is given back, the tenant may call again.
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      try {
        InferenceGrpc.newBlockingStub(as("one-key")).generate(shortRequest("tiny-llava"));
        break;
      } catch (StatusRuntimeException e) {
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(System.nanoTime()).isLessThan(deadline);
        Thread.sleep(20);
      }
    }
    // At least the refusal above (the retries while the cancel reached the server count too).
    assertThat(scrape()).containsPattern(
        Pattern.quote(TenantMetrics.REJECTIONS + "{reason=\"concurrency\",tenant=\"one\"} ") + "[1-9]");
  }

  @Test
  void aTenantOverItsTokenRateIsRefusedWithARetryDelay() {
    InferenceGrpc.InferenceBlockingStub ratey = InferenceGrpc.newBlockingStub(as("rate-key"));
    GenerateResponse first = ratey.generate(shortRequest("tiny-llava"));
    // 30 tokens a minute; the first request alone costs more.
    assertThat(first.getUsage().getPromptTokens() + first.getUsage().getCompletionTokens()).isGreaterThan(30);
    List<String> before = serverState();
    StatusRuntimeException refused =
        catchThrowableOfType(StatusRuntimeException.class,
            () -> ratey.generate(shortRequest("tiny-llava")));
    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(refused.getStatus().getDescription()).contains("tenant 'ratey' used its 30 tokens per minute");
    assertThat(retryDelay(refused)).isBetween(Duration.ofSeconds(1), Duration.ofMinutes(2));
    assertThat(serverState()).isEqualTo(before);
    assertThat(InferenceGrpc.newBlockingStub(as("admin-key")).generate(shortRequest("tiny-llava"))
        .getUsage().getCompletionTokens()).isEqualTo(2);
  }

  @Test
  void aPriorityAboveTheTenantsCeilingIsClampedAndTheResponseSaysSo() {
    AtomicReference<Metadata> responseHeaders = new AtomicReference<>();
    AtomicReference<Metadata> trailers = new AtomicReference<>();
    InferenceGrpc.InferenceBlockingStub user = InferenceGrpc.newBlockingStub(as("user-key"))
        .withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(responseHeaders, trailers));
    user.generate(shortRequest("tiny-llava").toBuilder().setPriority(50).build());
    assertThat(responseHeaders.get().get(CLAMPED)).isEqualTo("10");
    user.generate(shortRequest("tiny-llava").toBuilder().setPriority(5).build());
    assertThat(responseHeaders.get().get(CLAMPED)).isNull();
  }

  @Test
  void theMetricsPortServesOnlyClientsWithATrustedCertificate() throws Exception {
    assertThat(scrape()).contains(TenantMetrics.REQUESTS);
    // Trusts the server but presents no certificate: the handshake fails.
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (var in = Files.newInputStream(trusted.caCertificate())) {
      trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(trust);
    SSLContext noCertificate = SSLContext.getInstance("TLS");
    noCertificate.init(null, factory.getTrustManagers(), null);
    HttpClient anonymous = HttpClient.newBuilder().sslContext(noCertificate).build();
    assertThatThrownBy(() -> anonymous.send(
            HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.metricsPort() + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(IOException.class);
  }

  private String scrape() throws IOException, InterruptedException {
    // The client's certificate and trust in the test CA, through the same PEM reader the server uses.
    HttpClient https = HttpClient.newBuilder()
        .sslContext(PemTls.serverContext(new TlsSettings(client.certificate(), client.privateKey(), Optional.of(trusted.caCertificate()))))
        .build();
    HttpResponse<String> response = https.send(
        HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.metricsPort() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return response.body();
  }

  private static Duration retryDelay(StatusRuntimeException e) {
    com.google.rpc.Status status = StatusProto.fromThrowable(e);
    assertThat(status).as("google.rpc.Status in the trailers").isNotNull();
    List<Duration> delays = new ArrayList<>();
    status.getDetailsList().stream().filter(d -> d.is(RetryInfo.class)).forEach(d -> {
      try {
        com.google.protobuf.Duration delay = d.unpack(RetryInfo.class).getRetryDelay();
        delays.add(Duration.ofSeconds(delay.getSeconds(), delay.getNanos()));
      } catch (InvalidProtocolBufferException ex) {
        throw new AssertionError(ex);
      }
    });
    assertThat(delays).hasSize(1);
    return delays.getFirst();
  }
}
