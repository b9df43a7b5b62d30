package dev.vlm.client;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Settings applied to every call a {@link VlmClient} makes: the tenant id sent as the {@code
 * x-tenant} header and the per-call deadline.
 *
 * <p>Immutable and thread-safe; each {@code with...} method returns a new instance.
 *
 * <pre>{@code
 * ClientOptions options = ClientOptions.defaults()
 *     .withTenant("team-a")
 *     .withDeadline(Duration.ofSeconds(30));
 * }</pre>
 */
public final class ClientOptions {
  private static final ClientOptions DEFAULTS = new ClientOptions(null, null);

  private final String tenant;
  private final Duration deadline;

  private ClientOptions(String tenant, Duration deadline) {
    this.tenant = tenant;
    this.deadline = deadline;
  }

  /**
   * Returns options with no tenant and no deadline.
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
    return new ClientOptions(tenant, deadline);
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
    return new ClientOptions(tenant, deadline);
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
    return "ClientOptions[tenant=" + tenant + ", deadline=" + deadline + "]";
  }
}
