package dev.vlm.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vlm.api.v1.ModelInfo;
import dev.vlm.client.ApiKeys;
import dev.vlm.client.ClientOptions;
import dev.vlm.client.ClientTls;
import dev.vlm.client.Requests;
import dev.vlm.client.VlmClient;
import dev.vlm.client.cli.InProcessVlm;
import dev.vlm.server.TestPki;
import dev.vlm.server.VlmServer;
import dev.vlm.server.config.AuthSettings;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.ServerConfig;
import dev.vlm.server.config.TlsSettings;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java client and the {@code vlm} command line against a server that requires mutual TLS and
 * an API key: with the key and certificates they work; without the key they are refused.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecuredClientsE2ETest {
  private static final String KEY = ApiKeys.newKey();

  private Path dir;
  private TestPki pki;
  private TestPki.Issued client;
  private VlmServer server;

  @BeforeAll
  void start(@TempDir Path tempDir) throws Exception {
    dir = tempDir;
    pki = TestPki.newCa(dir, "ca");
    TestPki.Issued serverCert = pki.issue("localhost");
    client = pki.issue("client");
    Path keys = Files.writeString(dir.resolve("keys.yaml"), ApiKeys.entry(KEY, "team-a", "user") + "\n");
    server = VlmServer.start(
        ServerConfig.of(0, List.of(new ModelSpec(TinyLlavaServer.MODEL, TestData.tinyLlava(), Optional.empty())))
            .withTls(Optional.of(new TlsSettings(serverCert.certificate(), serverCert.privateKey(),
                Optional.of(pki.caCertificate()))))
            .withAuth(Optional.of(new AuthSettings(Optional.of(keys), false, Duration.ofSeconds(1)))));
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private String target() {
    return "127.0.0.1:" + server.port();
  }

  private ClientTls tls() {
    return ClientTls.systemTrust().withCaCertificate(pki.caCertificate())
        .withClientCertificate(client.certificate(), client.privateKey());
  }

  @Test
  void theJavaClientCallsWithItsKeyOverMutualTls() {
    try (VlmClient vlm = VlmClient.connect(target(), ClientOptions.defaults().withApiKey(KEY).withTls(tls()))) {
      assertThat(vlm.listModels()).extracting(ModelInfo::getName).containsExactly(TinyLlavaServer.MODEL);
      assertThat(vlm.generate(Requests.raw(TinyLlavaServer.MODEL, "Hi").maxNewTokens(2).build())
          .getUsage().getCompletionTokens()).isEqualTo(2);
    }
    try (VlmClient anonymous = VlmClient.connect(target(), ClientOptions.defaults().withTls(tls()))) {
      assertThatThrownBy(anonymous::listModels).isInstanceOfSatisfying(StatusRuntimeException.class,
          e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    }
  }

  @Test
  void theCommandLineCallsWithItsKeyOverMutualTls() {
    String[] tlsFlags = {"--target", target(), "--ca-cert", pki.caCertificate().toString(),
        "--cert", client.certificate().toString(), "--key", client.privateKey().toString()};
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = InProcessVlm.run(new PrintWriter(out, true), new PrintWriter(err, true),
        concat(tlsFlags, "--api-key", KEY, "models"));
    assertThat(exit).as(err.toString()).isZero();
    assertThat(out.toString()).contains(TinyLlavaServer.MODEL);

    StringWriter refused = new StringWriter();
    exit = InProcessVlm.run(new PrintWriter(new StringWriter(), true), new PrintWriter(refused, true),
        concat(tlsFlags, "models"));
    assertThat(exit).isEqualTo(InProcessVlm.EXIT_DENIED);
    assertThat(refused.toString()).contains("UNAUTHENTICATED");
  }

  private static String[] concat(String[] first, String... rest) {
    String[] all = new String[first.length + rest.length];
    System.arraycopy(first, 0, all, 0, first.length);
    System.arraycopy(rest, 0, all, first.length, rest.length);
    return all;
  }
}
