package dev.vlm.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vlm.api.v1.ModelInfo;
import dev.vlm.client.ClientOptions;
import dev.vlm.client.ClientTls;
import dev.vlm.client.Requests;
import dev.vlm.client.VlmClient;
import dev.vlm.client.cli.InProcessVlm;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
  private SecuredTinyLlava secured;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    secured = new SecuredTinyLlava(dir);
  }

  @AfterAll
  void stop() {
    secured.close();
  }

  private ClientTls tls() {
    return ClientTls.systemTrust().withCaCertificate(secured.caCertificate)
        .withClientCertificate(secured.client.certificate(), secured.client.privateKey());
  }

  @Test
  void theJavaClientCallsWithItsKeyOverMutualTls() {
    ClientOptions options = ClientOptions.defaults().withApiKey(secured.apiKey).withTls(tls());
    try (VlmClient vlm = VlmClient.connect(secured.target(), options)) {
      assertThat(vlm.listModels()).extracting(ModelInfo::getName).containsExactly(TinyLlavaServer.MODEL);
      assertThat(vlm.generate(Requests.raw(TinyLlavaServer.MODEL, "Hi").maxNewTokens(2).build())
          .getUsage().getCompletionTokens()).isEqualTo(2);
    }
    try (VlmClient anonymous = VlmClient.connect(secured.target(), ClientOptions.defaults().withTls(tls()))) {
      assertThatThrownBy(anonymous::listModels).isInstanceOfSatisfying(StatusRuntimeException.class,
          e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    }
  }

  @Test
  void theCommandLineCallsWithItsKeyOverMutualTls() {
    List<String> withKey = new ArrayList<>(secured.tlsFlags());
    withKey.addAll(List.of("--api-key", secured.apiKey, "models"));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = InProcessVlm.run(new PrintWriter(out, true), new PrintWriter(err, true), withKey.toArray(String[]::new));
    assertThat(exit).as(err.toString()).isZero();
    assertThat(out.toString()).contains(TinyLlavaServer.MODEL);

    List<String> withoutKey = new ArrayList<>(secured.tlsFlags());
    withoutKey.add("models");
    StringWriter refused = new StringWriter();
    exit = InProcessVlm.run(new PrintWriter(new StringWriter(), true), new PrintWriter(refused, true),
        withoutKey.toArray(String[]::new));
    assertThat(exit).isEqualTo(InProcessVlm.EXIT_DENIED);
    assertThat(refused.toString()).contains("UNAUTHENTICATED");
  }
}
