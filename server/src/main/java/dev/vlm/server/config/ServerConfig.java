package dev.vlm.server.config;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Everything the server needs to start, validated once; built by {@link ConfigLoader} from the
 * config file and the command line.
 *
 * @param port gRPC port; 0 picks a free one
 * @param models the models to serve; empty means the bundled demo model
 * @param runtime ONNX Runtime device and threads
 * @param limits per-request limits
 * @param shutdownGrace how long in-flight requests may run after a shutdown signal
 * @param batching how each model's batching loop is sized
 * @param metricsPort Prometheus endpoint port; 0 picks a free one, -1 serves no metrics
 * @param residency the memory budget and how loads, failures and evictions are paced
 * @param http the OpenAI-compatible HTTP API (port, remote images)
 * @param logFormat how log lines are written
 * @param listenAddress the address both ports bind (an IP address or host name); empty means all
 *     interfaces
 * @param tls TLS for both ports; empty means plaintext
 * @param auth who may call; empty means development mode: no credentials, the tenant is whatever
 *     {@code x-tenant} says and every caller may manage models
 * @param tenants per-tenant quotas, priority ceilings and model lists
 * @param hub the Hugging Face cache and endpoint that {@code hf:} models come from
 */
public record ServerConfig(
    int port, List<ModelSpec> models, RuntimeSettings runtime, RequestLimits limits, Duration shutdownGrace,
    BatchingSettings batching, int metricsPort, ResidencySettings residency, HttpSettings http, LogFormat logFormat,
    Optional<String> listenAddress, Optional<TlsSettings> tls, Optional<AuthSettings> auth, TenantPolicies tenants,
    HubSettings hub) {
  public static final int DEFAULT_PORT = 50051;
  public static final int DEFAULT_METRICS_PORT = 9090;

  public ServerConfig {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be in 0..65535, got " + port);
    }
    if (metricsPort < -1 || metricsPort > 65535) {
      throw new IllegalArgumentException("metrics port must be in 0..65535, or -1 for none; got " + metricsPort);
    }
    models = List.copyOf(models);
    Objects.requireNonNull(runtime, "runtime");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(batching, "batching");
    Objects.requireNonNull(residency, "residency");
    Objects.requireNonNull(http, "http");
    Objects.requireNonNull(logFormat, "logFormat");
    Objects.requireNonNull(hub, "hub");
    if (shutdownGrace.isNegative()) {
      throw new IllegalArgumentException("shutdown grace must not be negative");
    }
    Set<String> names = new HashSet<>();
    for (ModelSpec model : models) {
      if (!names.add(model.name())) {
        throw new IllegalArgumentException("model name '" + model.name() + "' is configured twice");
      }
    }
    Objects.requireNonNull(listenAddress, "listenAddress");
    if (listenAddress.isPresent() && listenAddress.get().isBlank()) {
      throw new IllegalArgumentException("listen address must not be blank; leave it out to listen on all interfaces");
    }
    Objects.requireNonNull(tls, "tls");
    Objects.requireNonNull(auth, "auth");
    Objects.requireNonNull(tenants, "tenants");
    if (auth.isPresent() && auth.get().tenantFromClientCert() && !tls.map(TlsSettings::mutual).orElse(false)) {
      throw new IllegalArgumentException(
          "auth.tenant_from_client_cert needs mutual TLS: set tls.client_ca so clients present certificates");
    }
    tenants.checkModels(names);
  }

  /**
   * A config without the HTTP API, logging text, and without listen address, TLS, auth or tenant
   * policies (development mode), with the default Hub settings (no token, the cache under the
   * user's home).
   */
  public ServerConfig(
      int port, List<ModelSpec> models, RuntimeSettings runtime, RequestLimits limits, Duration shutdownGrace,
      BatchingSettings batching, int metricsPort, ResidencySettings residency) {
    this(port, models, runtime, limits, shutdownGrace, batching, metricsPort, residency, HttpSettings.off(),
        LogFormat.TEXT, Optional.empty(), Optional.empty(), Optional.empty(), TenantPolicies.unlimited(),
        HubSettings.defaults());
  }

  /** A config with default residency settings. */
  public ServerConfig(
      int port, List<ModelSpec> models, RuntimeSettings runtime, RequestLimits limits, Duration shutdownGrace,
      BatchingSettings batching, int metricsPort) {
    this(port, models, runtime, limits, shutdownGrace, batching, metricsPort, ResidencySettings.defaults());
  }

  /** A config with default batching and no metrics endpoint, for embedding and tests. */
  public ServerConfig(
      int port, List<ModelSpec> models, RuntimeSettings runtime, RequestLimits limits, Duration shutdownGrace) {
    this(port, models, runtime, limits, shutdownGrace, BatchingSettings.defaults(), -1);
  }

  /** Serves the given models on the given port with default settings and no metrics endpoint. */
  public static ServerConfig of(int port, List<ModelSpec> models) {
    return new ServerConfig(
        port, models, RuntimeSettings.defaults(), RequestLimits.defaults(), Duration.ofSeconds(30));
  }

  public ServerConfig withModels(List<ModelSpec> newModels) {
    return new ServerConfig(port, newModels, runtime, limits, shutdownGrace, batching, metricsPort, residency,
        http, logFormat, listenAddress, tls, auth, tenants, hub);
  }

  public ServerConfig withLimits(RequestLimits newLimits) {
    return new ServerConfig(port, models, runtime, newLimits, shutdownGrace, batching, metricsPort, residency,
        http, logFormat, listenAddress, tls, auth, tenants, hub);
  }

  public ServerConfig withBatching(BatchingSettings newBatching) {
    return new ServerConfig(port, models, runtime, limits, shutdownGrace, newBatching, metricsPort, residency,
        http, logFormat, listenAddress, tls, auth, tenants, hub);
  }

  public ServerConfig withMetricsPort(int newMetricsPort) {
    return new ServerConfig(port, models, runtime, limits, shutdownGrace, batching, newMetricsPort, residency,
        http, logFormat, listenAddress, tls, auth, tenants, hub);
  }

  public ServerConfig withResidency(ResidencySettings newResidency) {
    return new ServerConfig(port, models, runtime, limits, shutdownGrace, batching, metricsPort, newResidency,
        http, logFormat, listenAddress, tls, auth, tenants, hub);
  }

  public ServerConfig withHttp(HttpSettings newHttp) {
    return new ServerConfig(port, models, runtime, limits, shutdownGrace, batching, metricsPort, residency, newHttp,
        logFormat, listenAddress, tls, auth, tenants, hub);
  }

  public ServerConfig withLogFormat(LogFormat newLogFormat) {
    return new ServerConfig(port, models, runtime, limits, shutdownGrace, batching, metricsPort, residency, http,
        newLogFormat, listenAddress, tls, auth, tenants, hub);
  }

  public ServerConfig withListenAddress(Optional<String> newListenAddress) {
    return new ServerConfig(port, models, runtime, limits, shutdownGrace, batching, metricsPort, residency,
        http, logFormat, newListenAddress, tls, auth, tenants, hub);
  }

  public ServerConfig withTls(Optional<TlsSettings> newTls) {
    return new ServerConfig(port, models, runtime, limits, shutdownGrace, batching, metricsPort, residency,
        http, logFormat, listenAddress, newTls, auth, tenants, hub);
  }

  public ServerConfig withAuth(Optional<AuthSettings> newAuth) {
    return new ServerConfig(port, models, runtime, limits, shutdownGrace, batching, metricsPort, residency,
        http, logFormat, listenAddress, tls, newAuth, tenants, hub);
  }

  public ServerConfig withTenants(TenantPolicies newTenants) {
    return new ServerConfig(port, models, runtime, limits, shutdownGrace, batching, metricsPort, residency,
        http, logFormat, listenAddress, tls, auth, newTenants, hub);
  }

  public ServerConfig withHub(HubSettings newHub) {
    return new ServerConfig(port, models, runtime, limits, shutdownGrace, batching, metricsPort, residency,
        http, logFormat, listenAddress, tls, auth, tenants, newHub);
  }
}
