package dev.vlm.e2e;

import dev.vlm.client.ApiKeys;
import dev.vlm.server.TestPki;
import dev.vlm.server.VlmServer;
import dev.vlm.server.config.AuthSettings;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.ServerConfig;
import dev.vlm.server.config.TlsSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The real server serving the tiny LLaVA fixture behind mutual TLS and one API key (tenant
 * {@code team-a}, role user), with a CA, server and client certificate made for the test in
 * {@code dir}.
 */
final class SecuredTinyLlava implements AutoCloseable {
  final VlmServer server;
  final String apiKey = ApiKeys.newKey();
  final Path caCertificate;
  final TestPki.Issued client;

  SecuredTinyLlava(Path dir) throws IOException {
    TestPki pki = TestPki.newCa(dir, "ca");
    TestPki.Issued serverCert = pki.issue("localhost");
    caCertificate = pki.caCertificate();
    client = pki.issue("client");
    Path keys = Files.writeString(dir.resolve("keys.yaml"), ApiKeys.entry(apiKey, "team-a", "user") + "\n");
    server = VlmServer.start(
        ServerConfig.of(0, List.of(new ModelSpec(TinyLlavaServer.MODEL, TestData.tinyLlava(), Optional.empty())))
            .withTls(Optional.of(new TlsSettings(serverCert.certificate(), serverCert.privateKey(),
                Optional.of(caCertificate))))
            .withAuth(Optional.of(new AuthSettings(Optional.of(keys), false, Duration.ofSeconds(1)))));
  }

  /** {@code 127.0.0.1:PORT}. */
  String target() {
    return "127.0.0.1:" + server.port();
  }

  /** The client flags the CLI and the Python example share: target, CA and client certificate. */
  List<String> tlsFlags() {
    return List.of("--target", target(), "--ca-cert", caCertificate.toString(),
        "--cert", client.certificate().toString(), "--key", client.privateKey().toString());
  }

  @Override
  public void close() {
    server.close();
  }
}
