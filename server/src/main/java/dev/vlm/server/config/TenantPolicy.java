package dev.vlm.server.config;

import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What one tenant may take. Zero means unlimited for the two limits.
 *
 * @param name the tenant, or {@value #DEFAULT_NAME} for every tenant not listed by name
 * @param maxConcurrentRequests generation requests in flight at once (queued or running)
 * @param tokensPerMinute prompt plus output tokens per minute, as a token bucket that holds a
 *     minute's worth
 * @param maxPriority the highest request priority it may ask for; higher is clamped to this
 * @param models the models it may use and see; empty means all
 */
public record TenantPolicy(
    String name, int maxConcurrentRequests, long tokensPerMinute, int maxPriority, Optional<Set<String>> models) {
  /** The entry that applies to tenants not listed by name. */
  public static final String DEFAULT_NAME = "default";
  /** Request priorities range over [-MAX_PRIORITY, MAX_PRIORITY]. */
  public static final int MAX_PRIORITY = 100;

  public TenantPolicy {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("a tenant entry needs a name");
    }
    if (maxConcurrentRequests < 0) {
      throw new IllegalArgumentException(
          "tenant '" + name + "' max_concurrent_requests must be 0 (unlimited) or more, got " + maxConcurrentRequests);
    }
    if (tokensPerMinute < 0) {
      throw new IllegalArgumentException(
          "tenant '" + name + "' tokens_per_minute must be 0 (unlimited) or more, got " + tokensPerMinute);
    }
    if (maxPriority < -MAX_PRIORITY || maxPriority > MAX_PRIORITY) {
      throw new IllegalArgumentException("tenant '" + name + "' max_priority must be in [-" + MAX_PRIORITY + ", "
          + MAX_PRIORITY + "], got " + maxPriority);
    }
    models = models.map(Set::copyOf);
  }

  /** No limits, every model: what every tenant gets when no {@code tenants} are configured. */
  public static TenantPolicy unlimited(String name) {
    return new TenantPolicy(name, 0, 0, MAX_PRIORITY, Optional.empty());
  }

  /** Whether this tenant may use and see the model. */
  public boolean allows(String model) {
    return models.map(m -> m.contains(model)).orElse(true);
  }
}
