package dev.vlm.server.auth;

import dev.vlm.server.config.AuthSettings;
import dev.vlm.server.config.TenantPolicies;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.logging.Logger;

/**
 * The server's gatekeeping in one place: who is calling ({@link Authenticator}), what it may use
 * ({@link TenantAccess}) and how much ({@link Quotas}). Transports (gRPC, HTTP) consult it; it
 * knows nothing about them. {@link #close()} stops following the keys file. Thread-safe.
 */
public final class Security implements AutoCloseable {
  private static final Logger log = Logger.getLogger(Security.class.getName());

  private final Authenticator authenticator;
  private final TenantAccess access;
  private final Quotas quotas;
  private final Optional<ApiKeys> keys;
  private final Optional<ScheduledExecutorService> watcher;

  private Security(
      Authenticator authenticator, TenantAccess access, Quotas quotas, Optional<ApiKeys> keys,
      Optional<ScheduledExecutorService> watcher) {
    this.authenticator = authenticator;
    this.access = access;
    this.quotas = quotas;
    this.keys = keys;
    this.watcher = watcher;
  }

  /** Development mode, no quotas: what a server without {@code auth} or {@code tenants} does. */
  public static Security developmentMode() {
    return start(Optional.empty(), TenantPolicies.unlimited());
  }

  /**
   * Loads the keys file (if any) and starts re-reading it when it changes.
   *
   * @throws IllegalArgumentException if the keys file cannot be read or is malformed
   */
  public static Security start(Optional<AuthSettings> auth, TenantPolicies tenants) {
    Objects.requireNonNull(auth, "auth");
    TenantAccess access = new TenantAccess(tenants);
    Quotas quotas = new Quotas(tenants, System::nanoTime);
    if (auth.isEmpty()) {
      log.warning("no auth configured: development mode, every caller is trusted and names its own tenant "
          + "(x-tenant); see docs/SECURITY.md");
      return new Security(Authenticator.developmentMode(), access, quotas, Optional.empty(), Optional.empty());
    }
    AuthSettings settings = auth.get();
    Optional<ApiKeys> keys = settings.apiKeysFile().map(ApiKeys::load);
    Optional<ScheduledExecutorService> watcher = keys.map(k -> {
      ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().name("api-keys-watch").daemon().factory());
      k.watch(executor, settings.reloadInterval());
      return executor;
    });
    log.info(() -> "auth on: " + keys.map(k -> k.size() + " API keys from " + settings.apiKeysFile().get()).orElse("no API keys")
        + (settings.tenantFromClientCert() ? "; client certificates name tenants" : ""));
    return new Security(
        Authenticator.enforcing(keys, settings.tenantFromClientCert()), access, quotas, keys, watcher);
  }

  public Authenticator authenticator() {
    return authenticator;
  }

  public TenantAccess access() {
    return access;
  }

  public Quotas quotas() {
    return quotas;
  }

  @Override
  public void close() {
    keys.ifPresent(ApiKeys::close);
    watcher.ifPresent(ScheduledExecutorService::shutdownNow);
  }
}
