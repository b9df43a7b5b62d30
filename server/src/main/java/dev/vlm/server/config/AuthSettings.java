package dev.vlm.server.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Who may call: configured means every inference and model-management call needs credentials
 * (health checks and reflection never do). See docs/SECURITY.md.
 *
 * @param apiKeysFile YAML list of {@code {key_sha256, tenant, role}}; re-read when it changes
 * @param tenantFromClientCert with mutual TLS, a client certificate's subject CN names the
 *     caller's tenant (role {@code user}) when no API key is sent
 * @param reloadInterval how often the keys file is checked for changes
 */
public record AuthSettings(Optional<Path> apiKeysFile, boolean tenantFromClientCert, Duration reloadInterval) {
  /** How often the keys file is checked when the config does not say. */
  public static final Duration DEFAULT_RELOAD_INTERVAL = Duration.ofSeconds(2);

  public AuthSettings {
    Objects.requireNonNull(apiKeysFile, "apiKeysFile");
    Objects.requireNonNull(reloadInterval, "reloadInterval");
    if (apiKeysFile.isEmpty() && !tenantFromClientCert) {
      throw new IllegalArgumentException(
          "auth needs a credential source: set auth.api_keys_file, auth.tenant_from_client_cert: true, or both");
    }
    if (reloadInterval.isNegative() || reloadInterval.isZero()) {
      throw new IllegalArgumentException("auth.reload_interval must be positive, got " + reloadInterval);
    }
  }
}
