package dev.vlm.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.server.auth.Authenticator;
import dev.vlm.server.metrics.ServerMetrics;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Development mode (no auth configured): the tenant header, read by the interceptor in front of a
 * service that echoes the tenant.
 */
class AuthInterceptorDevelopmentModeTest {
  private static final Metadata.Key<String> HEADER = Metadata.Key.of("x-tenant", Metadata.ASCII_STRING_MARSHALLER);

  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    var echo =
        new InferenceGrpc.InferenceImplBase() {
          @Override
          public void generate(GenerateRequest request, StreamObserver<GenerateResponse> observer) {
            observer.onNext(GenerateResponse.newBuilder().setText(AuthInterceptor.caller().tenant()).build());
            observer.onCompleted();
          }
        };
    server =
        InProcessServerBuilder.forName(name)
            .addService(ServerInterceptors.intercept(echo, new AuthInterceptor(Authenticator.developmentMode(), new ServerMetrics().tenants())))
            .build()
            .start();
    channel = InProcessChannelBuilder.forName(name).build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void aCallWithoutTheHeaderBelongsToTheDefaultTenant() {
    assertThat(tenantSeenBy(new Metadata())).isEqualTo("default");
  }

  @ParameterizedTest
  @ValueSource(strings = {"acme", "team-a.prod_2", "A", "0123456789012345678901234567890123456789012345678901234567890123"})
  void aValidTenantReachesTheService(String tenant) {
    assertThat(tenantSeenBy(headers(tenant))).isEqualTo(tenant);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "has space", "a/b", "a:b", "01234567890123456789012345678901234567890123456789012345678901234"})
  void aMalformedTenantIsInvalidArgumentNamingTheHeader(String tenant) {
    assertThatThrownBy(() -> tenantSeenBy(headers(tenant)))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).startsWith("x-tenant: ").contains("1 to 64");
            });
  }

  @Test
  void aHeaderSentTwiceIsInvalidArgument() {
    Metadata headers = headers("a");
    headers.put(HEADER, "b");
    assertThatThrownBy(() -> tenantSeenBy(headers))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getDescription()).startsWith("x-tenant: ").contains("2 times"));
  }

  @Test
  void outsideACallThereIsNoCaller() {
    assertThatThrownBy(AuthInterceptor::caller).isInstanceOf(IllegalStateException.class);
  }

  private String tenantSeenBy(Metadata headers) {
    return InferenceGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .generate(GenerateRequest.getDefaultInstance())
        .getText();
  }

  private static Metadata headers(String tenant) {
    Metadata headers = new Metadata();
    headers.put(HEADER, tenant);
    return headers;
  }
}
