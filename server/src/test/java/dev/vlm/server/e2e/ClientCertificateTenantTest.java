package dev.vlm.server.e2e;

import static dev.vlm.server.e2e.GrpcAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm.api.v1.ListModelsRequest;
import dev.vlm.api.v1.ModelInfo;
import dev.vlm.api.v1.ModelsGrpc;
import dev.vlm.api.v1.UnloadModelRequest;
import dev.vlm.server.TestData;
import dev.vlm.server.TestPki;
import dev.vlm.server.VlmServer;
import dev.vlm.server.config.AuthSettings;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.ServerConfig;
import dev.vlm.server.config.TenantPolicies;
import dev.vlm.server.config.TenantPolicy;
import dev.vlm.server.config.TlsSettings;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** With {@code auth.tenant_from_client_cert}, a client certificate's CN is the caller's tenant, with role user. */
class ClientCertificateTenantTest {
  @Test
  void theCertificatesCommonNameNamesTheTenant(@TempDir Path dir) throws Exception {
    TestPki pki = TestPki.newCa(dir, "ca");
    TestPki.Issued serverCert = pki.issue("localhost");
    TestPki.Issued teamA = pki.issue("team-a");
    Path model = TestData.tinyLlava();
    ServerConfig config = ServerConfig.of(0, List.of(
            new ModelSpec("tiny-llava", model, Optional.empty()), new ModelSpec("secret-llava", model, Optional.empty())))
        .withTls(Optional.of(new TlsSettings(serverCert.certificate(), serverCert.privateKey(),
            Optional.of(pki.caCertificate()))))
        .withAuth(Optional.of(new AuthSettings(Optional.empty(), true, Duration.ofSeconds(1))))
        .withTenants(TenantPolicies.of(List.of(new TenantPolicy("team-a", 0, 0, 0, Optional.of(Set.of("tiny-llava"))))));
    try (VlmServer server = VlmServer.start(config)) {
      ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(),
          TlsChannelCredentials.newBuilder()
              .trustManager(pki.caCertificate().toFile())
              .keyManager(teamA.certificate().toFile(), teamA.privateKey().toFile())
              .build()).build();
      try {
        ModelsGrpc.ModelsBlockingStub models = ModelsGrpc.newBlockingStub(channel);
        assertThat(models.listModels(ListModelsRequest.getDefaultInstance()).getModelsList())
            .extracting(ModelInfo::getName).containsExactly("tiny-llava");
        assertStatus(() -> models.unloadModel(UnloadModelRequest.newBuilder().setName("tiny-llava").build()),
            Status.Code.PERMISSION_DENIED, "tenant 'team-a' calls with role user");
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }
}
