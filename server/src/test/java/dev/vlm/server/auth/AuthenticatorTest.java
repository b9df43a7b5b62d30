package dev.vlm.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vlm.server.errors.InvalidArgumentException;
import dev.vlm.server.errors.UnauthenticatedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** From what a call presents to who it is. */
class AuthenticatorTest {
  @TempDir Path dir;
  private Authenticator enforcing;

  @BeforeEach
  void keys() throws Exception {
    Path file = Files.writeString(dir.resolve("keys.yaml"), ApiKeysTest.entry("user-key", "team-a", "user")
        + ApiKeysTest.entry("gw-key", "edge", "gateway"));
    enforcing = Authenticator.enforcing(Optional.of(ApiKeys.load(file)), true);
  }

  private static Credentials credentials(String authorization, String cn, String tenantHeader) {
    return new Credentials(Optional.ofNullable(authorization), Optional.ofNullable(cn), Optional.ofNullable(tenantHeader));
  }

  @Test
  void developmentModeTrustsTheTenantHeader() {
    Authenticator dev = Authenticator.developmentMode();
    assertThat(dev.authenticate(credentials(null, null, "team-x"))).isEqualTo(new Caller("team-x", Role.ADMIN));
    assertThat(dev.authenticate(credentials(null, null, null)).tenant()).isEqualTo("default");
    assertThatThrownBy(() -> dev.authenticate(credentials(null, null, "a b")))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("x-tenant");
  }

  @Test
  void aUserKeyNamesTheTenantAndItsTenantHeaderIsIgnored() {
    assertThat(enforcing.authenticate(credentials("Bearer user-key", null, "edge")))
        .isEqualTo(new Caller("team-a", Role.USER));
    assertThat(enforcing.authenticate(credentials("bearer user-key", null, "not valid!")).tenant()).isEqualTo("team-a");
  }

  @Test
  void aGatewayKeySpeaksForTheTenantItNames() {
    assertThat(enforcing.authenticate(credentials("Bearer gw-key", null, "team-b"))).isEqualTo(new Caller("team-b", Role.GATEWAY));
    assertThat(enforcing.authenticate(credentials("Bearer gw-key", null, null)).tenant()).isEqualTo("edge");
  }

  @Test
  void aClientCertificateNamesTheTenantWhenNoKeyIsSent() {
    assertThat(enforcing.authenticate(credentials(null, "team-c", "team-a"))).isEqualTo(new Caller("team-c", Role.USER));
    assertThatThrownBy(() -> enforcing.authenticate(credentials(null, "Team C/1", null)))
        .isInstanceOf(UnauthenticatedException.class);
  }

  @Test
  void missingWrongAndMalformedCredentialsAreUnauthenticated() {
    assertThatThrownBy(() -> enforcing.authenticate(credentials(null, null, "team-a")))
        .isInstanceOf(UnauthenticatedException.class).hasMessageContaining("authorization: Bearer KEY");
    assertThatThrownBy(() -> enforcing.authenticate(credentials("Bearer nope", null, null)))
        .isInstanceOf(UnauthenticatedException.class).hasMessageContaining("unknown or revoked");
    assertThatThrownBy(() -> enforcing.authenticate(credentials("Basic dXNlcjpwdw==", null, null)))
        .isInstanceOf(UnauthenticatedException.class).hasMessageContaining("'Bearer KEY'");
    // A wrong key does not fall back to the certificate.
    assertThatThrownBy(() -> enforcing.authenticate(credentials("Bearer nope", "team-c", null)))
        .isInstanceOf(UnauthenticatedException.class);
  }
}
