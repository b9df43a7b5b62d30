package dev.vlm.server.auth;

import dev.vlm.server.config.TenantPolicies;
import dev.vlm.server.config.TenantPolicy;
import dev.vlm.server.errors.ResourceExhaustedException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Per-tenant admission limits: requests in flight, and tokens per minute as a token bucket.
 *
 * <p>A request's token cost (prompt plus output) is known only when it ends, so the bucket is
 * charged then and may go below zero; a tenant may start a request while its bucket holds more
 * than zero tokens. The bucket holds at most a minute's worth and refills continuously, so a
 * tenant's long-run rate is its {@code tokens_per_minute} whatever its request sizes. Every tenant
 * has its own counters; unlisted tenants each get the {@code default} entry's limits.
 *
 * <p>Thread-safe (one lock; admission is a few arithmetic operations).
 */
public final class Quotas {
  /** What a client is told to wait when it is over its concurrency: a guess, a request's length is unknown. */
  static final Duration CONCURRENCY_RETRY = Duration.ofSeconds(1);

  private final TenantPolicies policies;
  private final LongSupplier nanoClock;
  private final Map<String, Usage> usage = new HashMap<>();

  /** A limit that refused a request, for metrics. */
  public enum Rejection {
    CONCURRENCY,
    TOKEN_RATE
  }

  /** A refused request: the exception to answer with, and which limit refused it. */
  public static final class QuotaExceededException extends RuntimeException {
    private final Rejection rejection;
    private final transient ResourceExhaustedException status;

    QuotaExceededException(Rejection rejection, ResourceExhaustedException status) {
      super(status.getMessage());
      this.rejection = rejection;
      this.status = status;
    }

    public Rejection rejection() {
      return rejection;
    }

    /** RESOURCE_EXHAUSTED with its retry delay. */
    public ResourceExhaustedException status() {
      return status;
    }
  }

  private static final class Usage {
    int inFlight;
    double tokens;
    long refilledAtNanos;
  }

  /**
   * @param nanoClock monotonic nanoseconds (injected so tests control the refill)
   */
  public Quotas(TenantPolicies policies, LongSupplier nanoClock) {
    this.policies = Objects.requireNonNull(policies, "policies");
    this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
  }

  /**
   * Admits one request of {@code tenant}; the returned lease must be {@linkplain Lease#release
   * released} exactly once when the request ends.
   *
   * @throws QuotaExceededException if the tenant is at its concurrency or its bucket is empty
   */
  public Lease acquire(String tenant) {
    TenantPolicy policy = policies.forTenant(tenant);
    synchronized (this) {
      Usage u = refilled(tenant, policy);
      if (policy.maxConcurrentRequests() > 0 && u.inFlight >= policy.maxConcurrentRequests()) {
        throw new QuotaExceededException(Rejection.CONCURRENCY, new ResourceExhaustedException(
            "tenant '" + tenant + "' has " + u.inFlight + " requests in flight, its limit; retry when one finishes",
            CONCURRENCY_RETRY));
      }
      if (policy.tokensPerMinute() > 0 && u.tokens <= 0) {
        double perNano = policy.tokensPerMinute() / (double) Duration.ofMinutes(1).toNanos();
        Duration wait = Duration.ofNanos((long) Math.ceil((1 - u.tokens) / perNano));
        throw new QuotaExceededException(Rejection.TOKEN_RATE, new ResourceExhaustedException(
            "tenant '" + tenant + "' used its " + policy.tokensPerMinute() + " tokens per minute; retry in "
                + wait.toMillis() + " ms",
            wait));
      }
      u.inFlight++;
    }
    return new Lease(tenant);
  }

  /** The priority {@code tenant} gets for a requested one: at most its {@code max_priority}. */
  public int clampPriority(String tenant, int requested) {
    return Math.min(requested, policies.forTenant(tenant).maxPriority());
  }

  /** Tokens left in {@code tenant}'s bucket now (negative after an overdraft); for tests. */
  public synchronized double tokensLeft(String tenant) {
    return refilled(tenant, policies.forTenant(tenant)).tokens;
  }

  private Usage refilled(String tenant, TenantPolicy policy) {
    long now = nanoClock.getAsLong();
    Usage u = usage.computeIfAbsent(tenant, t -> {
      Usage fresh = new Usage();
      fresh.tokens = policy.tokensPerMinute();
      fresh.refilledAtNanos = now;
      return fresh;
    });
    if (policy.tokensPerMinute() > 0) {
      double perNano = policy.tokensPerMinute() / (double) Duration.ofMinutes(1).toNanos();
      u.tokens = Math.min(policy.tokensPerMinute(), u.tokens + (now - u.refilledAtNanos) * perNano);
    }
    u.refilledAtNanos = now;
    return u;
  }

  private synchronized void release(String tenant, long tokensUsed) {
    Usage u = refilled(tenant, policies.forTenant(tenant));
    u.inFlight--;
    u.tokens -= tokensUsed;
    // An idle tenant with a full bucket is indistinguishable from a new one: forget it.
    if (u.inFlight == 0 && u.tokens >= policies.forTenant(tenant).tokensPerMinute()) {
      usage.remove(tenant);
    }
  }

  /** One admitted request's hold on its tenant's quota. Release it once, when the request ends. */
  public final class Lease {
    private final String tenant;
    private boolean released;

    private Lease(String tenant) {
      this.tenant = tenant;
    }

    /**
     * Gives back the concurrency slot and charges the tokens the request used. Later calls do
     * nothing.
     *
     * @param tokensUsed prompt plus output tokens (0 if the request never ran)
     */
    public void release(long tokensUsed) {
      synchronized (Quotas.this) {
        if (released) {
          return;
        }
        released = true;
      }
      Quotas.this.release(tenant, tokensUsed);
    }
  }
}
