package dev.vlm.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The keys file: parsing, lookups by hash, reloads that take effect or are refused whole. */
class ApiKeysTest {
  @TempDir Path dir;

  static String entry(String key, String tenant, String role) {
    return "- key_sha256: " + ApiKey.sha256Hex(key) + "\n  tenant: " + tenant + "\n  role: " + role + "\n";
  }

  @Test
  void aKeyInTheFileIsFoundByItsHashAndOthersAreNot() throws Exception {
    Path file = Files.writeString(dir.resolve("keys.yaml"), entry("s3cret", "team-a", "user") + entry("root", "ops", "admin"));
    ApiKeys keys = ApiKeys.load(file);
    assertThat(keys.find("s3cret")).contains(new ApiKey(ApiKey.sha256Hex("s3cret"), "team-a", Role.USER));
    assertThat(keys.find("root").orElseThrow().role()).isEqualTo(Role.ADMIN);
    assertThat(keys.find("S3cret")).isEmpty();
    assertThat(Files.readString(file)).doesNotContain("s3cret");
  }

  @Test
  void aRemovedKeyIsRevokedOnReloadAndANewOneAdmitted() throws Exception {
    Path file = Files.writeString(dir.resolve("keys.yaml"), entry("old", "team-a", "user"));
    ApiKeys keys = ApiKeys.load(file);
    assertThat(keys.reloadIfChanged()).isFalse();
    Files.writeString(file, entry("new", "team-a", "user"));
    assertThat(keys.reloadIfChanged()).isTrue();
    assertThat(keys.find("old")).isEmpty();
    assertThat(keys.find("new")).isPresent();
  }

  @Test
  void aMalformedFileKeepsTheKeysInForce() throws Exception {
    Path file = Files.writeString(dir.resolve("keys.yaml"), entry("k", "team-a", "user"));
    ApiKeys keys = ApiKeys.load(file);
    Files.writeString(file, entry("k", "team-a", "user") + entry("k2", "team-b", "superuser"));
    assertThat(keys.reloadIfChanged()).isFalse();
    Files.delete(file);
    assertThat(keys.reloadIfChanged()).isFalse();
    assertThat(keys.find("k")).isPresent();
    assertThat(keys.find("k2")).isEmpty();
  }

  @Test
  void startUpRefusesAMalformedFileNamingTheEntry() throws Exception {
    Path plainKey = Files.writeString(dir.resolve("a.yaml"), "- key_sha256: s3cret\n  tenant: a\n  role: user\n");
    assertThatThrownBy(() -> ApiKeys.load(plainKey)).hasMessageContaining("entry 0.key_sha256 must be 64 hex digits");
    Path badRole = Files.writeString(dir.resolve("b.yaml"), entry("k", "a", "root"));
    assertThatThrownBy(() -> ApiKeys.load(badRole)).hasMessageContaining("entry 0.role must be user, admin or gateway");
    Path twice = Files.writeString(dir.resolve("c.yaml"), entry("k", "a", "user") + entry("k", "b", "user"));
    assertThatThrownBy(() -> ApiKeys.load(twice)).hasMessageContaining("entry 1 repeats a key_sha256");
    Path badTenant = Files.writeString(dir.resolve("d.yaml"), entry("k", "a b", "user"));
    assertThatThrownBy(() -> ApiKeys.load(badTenant)).hasMessageContaining("entry 0.tenant must be 1 to 64");
    Path unknownField = Files.writeString(dir.resolve("e.yaml"), entry("k", "a", "user") + "  key: k\n");
    assertThatThrownBy(() -> ApiKeys.load(unknownField)).hasMessageContaining("unknown field 'key'");
    assertThatThrownBy(() -> ApiKeys.load(dir.resolve("missing.yaml"))).hasMessageContaining("missing.yaml");
  }
}
