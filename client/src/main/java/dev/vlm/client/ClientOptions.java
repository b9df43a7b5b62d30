package dev.vlm.client;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Settings applied to every call a {@link VlmClient} makes: the API key sent as {@code
 * authorization: Bearer KEY}, the tenant id sent as the {@code x-tenant} header (which a secured
 * server honours only from a gateway key), the per-call deadline, and TLS for the connections
 * {@link VlmClient#connect} opens.
 *
 * <p>Immutable and thread-safe; each {@code with...} method returns a new instance.
 *
 * <pre>{@code
 * ClientOptions options = ClientOptions.defaults()
 *     .withApiKey(System.getenv("VLM_API_KEY"))
 *     .withTls(ClientTls.systemTrust().withCaCertificate(Path.of("ca.pem")))
 *     .withDeadline(Duration.ofSeconds(30));
 * }</pre>
 */
public final class ClientOptions {
  private static final ClientOptions DEFAULTS = new ClientOptions(null, null, null, null);

  private final String tenant;
  private final Duration deadline;
  private final String apiKey;
  private final ClientTls tls;

  private ClientOptions(String tenant, Duration deadline, String apiKey, ClientTls tls) {
    this.tenant = tenant;
    this.deadline = deadline;
    this.apiKey = apiKey;
    this.tls = tls;
  }

  /**
   * Returns options with no API key, no tenant, no deadline and plaintext connections.
   *
   * @return the default options
   */
  public static ClientOptions defaults() {
    return DEFAULTS;
  }

  /**
   * Returns a copy that sends {@code tenant} as the {@code x-tenant} header on every call.
   *
   * @param tenant the tenant id: printable ASCII, not blank
   * @return the new options
   * @throws IllegalArgumentException if {@code tenant} is blank or not printable ASCII
   */
  public ClientOptions withTenant(String tenant) {
    Objects.requireNonNull(tenant, "tenant");
    if (tenant.isBlank()) {
      throw new IllegalArgumentException("tenant must not be blank");
    }
    // gRPC only carries printable ASCII in text headers.
    if (!tenant.chars().allMatch(c -> c >= 0x20 && c <= 0x7e)) {
      throw new IllegalArgumentException("tenant must be printable ASCII, got \"" + tenant + "\"");
    }
    return new ClientOptions(tenant, deadline, apiKey, tls);
  }

  /**
   * Returns a copy that authenticates every call with {@code authorization: Bearer KEY}. Use it
   * with TLS: the key travels in every call's headers.
   *
   * @param apiKey the key: printable ASCII without spaces, not blank
   * @return the new options
   * @throws IllegalArgumentException if the key is blank or has other characters
   */
  public ClientOptions withApiKey(String apiKey) {
    Objects.requireNonNull(apiKey, "apiKey");
    if (apiKey.isBlank() || !apiKey.chars().allMatch(c -> c > 0x20 && c <= 0x7e)) {
      throw new IllegalArgumentException("API key must be printable ASCII without spaces, and not blank");
    }
    return new ClientOptions(tenant, deadline, apiKey, tls);
  }

  /**
   * Returns a copy whose {@link VlmClient#connect connections} use TLS.
   *
   * @param tls the CA to trust and the client certificate, if any
   * @return the new options
   */
  public ClientOptions withTls(ClientTls tls) {
    return new ClientOptions(tenant, deadline, apiKey, Objects.requireNonNull(tls, "tls"));
  }

  /**
   * Returns the API key sent with every call, if any.
   *
   * @return the key, or empty
   */
  public Optional<String> apiKey() {
    return Optional.ofNullable(apiKey);
  }

  /**
   * Returns the TLS settings, if connections use TLS.
   *
   * @return the settings, or empty for plaintext
   */
  public Optional<ClientTls> tls() {
    return Optional.ofNullable(tls);
  }

  /**
   * Returns a copy that gives every call this much time, counted from the call's start. For a
   * stream the deadline covers the whole stream, not each message.
   *
   * @param deadline time allowed per call, positive
   * @return the new options
   * @throws IllegalArgumentException if {@code deadline} is zero or negative
   */
  public ClientOptions withDeadline(Duration deadline) {
    Objects.requireNonNull(deadline, "deadline");
    if (deadline.isNegative() || deadline.isZero()) {
      throw new IllegalArgumentException("deadline must be positive, got " + deadline);
    }
    return new ClientOptions(tenant, deadline, apiKey, tls);
  }

  /**
   * Returns the tenant id sent as {@code x-tenant}, if any.
   *
   * @return the tenant id, or empty when none is sent
   */
  public Optional<String> tenant() {
    return Optional.ofNullable(tenant);
  }

  /**
   * Returns the time allowed per call, if any.
   *
   * @return the per-call deadline, or empty when calls have no deadline
   */
  public Optional<Duration> deadline() {
    return Optional.ofNullable(deadline);
  }

  @Override
  public String toString() {
    // Never the key itself: options end up in logs.
    return "ClientOptions[tenant=" + tenant + ", deadline=" + deadline + ", apiKey=" + (apiKey == null ? "none" : "set")
        + ", tls=" + tls + "]";
  }
}
