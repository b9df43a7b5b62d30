package dev.vlm.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The listen address, TLS, auth and tenants sections: read, combined with flags, checked at start-up. */
class SecurityConfigTest {
  @TempDir Path dir;

  @BeforeEach
  void pemFiles() throws Exception {
    for (String name : new String[] {"server.pem", "server-key.pem", "ca.pem", "other.pem"}) {
      Files.writeString(dir.resolve(name), "placeholder; only existence is checked when the config is read\n");
    }
  }

  private ServerConfig load(String yaml, String... flags) throws Exception {
    Path file = Files.writeString(dir.resolve("server.yaml"), yaml);
    String[] args = new String[flags.length + 2];
    args[0] = "--config";
    args[1] = file.toString();
    System.arraycopy(flags, 0, args, 2, flags.length);
    return ((ConfigLoader.Outcome.Run) ConfigLoader.load(args)).config();
  }

  private static final String SECURED = """
      listen: 127.0.0.1
      models:
        - {name: a, path: /models/a}
        - {name: b, path: /models/b}
      tls: {cert_chain: server.pem, private_key: server-key.pem, client_ca: ca.pem}
      auth: {api_keys_file: keys.yaml, tenant_from_client_cert: true, reload_interval: 5s}
      tenants:
        - {name: default, max_concurrent_requests: 4, tokens_per_minute: 1000, max_priority: 0}
        - {name: team-a, max_concurrent_requests: 16, max_priority: 50, models: [a]}
      """;

  @Test
  void aSecuredConfigIsReadWithPathsRelativeToTheFile() throws Exception {
    ServerConfig config = load(SECURED);
    assertThat(config.listenAddress()).contains("127.0.0.1");
    assertThat(config.tls()).contains(new TlsSettings(dir.resolve("server.pem"), dir.resolve("server-key.pem"),
        Optional.of(dir.resolve("ca.pem"))));
    assertThat(config.auth()).contains(new AuthSettings(Optional.of(dir.resolve("keys.yaml")), true, Duration.ofSeconds(5)));
    assertThat(config.tenants().forTenant("team-a")).isEqualTo(new TenantPolicy("team-a", 16, 0, 50, Optional.of(Set.of("a"))));
    assertThat(config.tenants().forTenant("anyone-else")).isEqualTo(new TenantPolicy("default", 4, 1000, 0, Optional.empty()));
    assertThat(config.tenants().names()).containsExactly("team-a");
  }

  @Test
  void flagsOverrideTheListenAddressAndTlsFiles() throws Exception {
    ServerConfig config = load(SECURED, "--listen", "0.0.0.0", "--tls-client-ca", dir.resolve("other.pem").toString());
    assertThat(config.listenAddress()).contains("0.0.0.0");
    assertThat(config.tls().orElseThrow().clientCa()).contains(dir.resolve("other.pem"));
    assertThat(config.tls().orElseThrow().certChain()).isEqualTo(dir.resolve("server.pem"));
  }

  @Test
  void withoutTheSectionsTheServerIsInDevelopmentMode() throws Exception {
    ServerConfig config = load("port: 1234\n");
    assertThat(config.listenAddress()).isEmpty();
    assertThat(config.tls()).isEmpty();
    assertThat(config.auth()).isEmpty();
    assertThat(config.tenants().forTenant("x")).isEqualTo(TenantPolicy.unlimited("default"));
  }

  @Test
  void mistakesAreNamedAtStartUp() throws Exception {
    assertThatThrownBy(() -> load("tls: {cert_chain: server.pem}\n")).hasMessageContaining("private_key");
    assertThatThrownBy(() -> load("tls: {cert_chain: server.pem, private_key: nope.pem}\n"))
        .hasMessageContaining("tls.private_key file").hasMessageContaining("nope.pem");
    assertThatThrownBy(() -> load("auth: {api_key_file: keys.yaml}\n")).hasMessageContaining("auth.api_key_file");
    assertThatThrownBy(() -> load("auth: {}\n")).hasMessageContaining("needs a credential source");
    assertThatThrownBy(() -> load("auth: {tenant_from_client_cert: true}\n"))
        .hasMessageContaining("tenant_from_client_cert needs mutual TLS");
    assertThatThrownBy(() -> load("models: [{name: a, path: /a}]\ntenants: [{name: t, models: [b]}]\n"))
        .hasMessageContaining("tenant 't' lists model 'b', which is not configured");
    assertThatThrownBy(() -> load("tenants: [{name: t}, {name: t}]\n")).hasMessageContaining("'t' is configured twice");
    assertThatThrownBy(() -> load("tenants: [{name: t, max_priority: 101}]\n")).hasMessageContaining("max_priority");
    assertThatThrownBy(() -> load("tenants: [{name: t, max_concurrent: 1}]\n")).hasMessageContaining("tenants[0].max_concurrent");
    assertThatThrownBy(() -> load("tenants: {name: t}\n")).hasMessageContaining("'tenants' must be a list");
    assertThatThrownBy(() -> load("port: 1\n", "--tls-key", "k.pem")).hasMessageContaining("--tls-cert");
  }
}
