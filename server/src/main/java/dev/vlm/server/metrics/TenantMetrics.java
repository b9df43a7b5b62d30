package dev.vlm.server.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * Per-tenant request metrics. The {@value #TENANT_LABEL} label takes only the configured tenant
 * names and {@value #OTHER}, so callers cannot grow the series without bound by inventing tenant
 * names. Thread-safe.
 */
public final class TenantMetrics {
  /** Label on every per-tenant series. */
  public static final String TENANT_LABEL = "tenant";
  /** Label on {@link #REJECTIONS}: why a request was refused. */
  public static final String REASON_LABEL = "reason";
  /** The label value of every tenant not configured by name. */
  public static final String OTHER = "other";

  /** Counter: generation requests that ended (however they ended), by tenant. */
  public static final String REQUESTS = "vlm:tenant_requests_total";
  /** Counter: prompt tokens of a tenant's finished requests. */
  public static final String PROMPT_TOKENS = "vlm:tenant_prompt_tokens_total";
  /** Counter: generated tokens of a tenant's finished requests. */
  public static final String GENERATION_TOKENS = "vlm:tenant_generation_tokens_total";
  /** Counter: refused requests by tenant and {@value #REASON_LABEL}. */
  public static final String REJECTIONS = "vlm:tenant_rejections_total";
  /** Histogram, seconds: time a tenant's requests waited before they first ran. */
  public static final String QUEUE_TIME = "vlm:tenant_request_queue_time_seconds";

  private final Set<String> tenants;
  private final Counter requests;
  private final Counter promptTokens;
  private final Counter generationTokens;
  private final Counter rejections;
  private final Histogram queueTime;

  TenantMetrics(MetricFactory factory, Set<String> tenants) {
    this.tenants = Set.copyOf(tenants);
    requests = factory.counter(REQUESTS, "Generation requests that ended, by tenant.", TENANT_LABEL);
    promptTokens = factory.counter(PROMPT_TOKENS, "Prompt tokens of finished requests, by tenant.", TENANT_LABEL);
    generationTokens =
        factory.counter(GENERATION_TOKENS, "Generated tokens of finished requests, by tenant.", TENANT_LABEL);
    rejections = factory.counter(REJECTIONS, "Requests refused, by tenant and reason.", TENANT_LABEL, REASON_LABEL);
    queueTime = factory.histogram(QUEUE_TIME, "Time requests waited before they first ran, in seconds, by tenant.",
        Buckets.REQUEST_SECONDS, TENANT_LABEL);
  }

  /** The label value for {@code tenant}: its name if configured, else {@value #OTHER}. */
  public String label(String tenant) {
    return tenants.contains(tenant) ? tenant : OTHER;
  }

  /** A request ended, with these token counts (zero if it never ran). */
  public void finished(String tenant, long prompt, long generated) {
    String label = label(tenant);
    requests.labelValues(label).inc();
    promptTokens.labelValues(label).inc(prompt);
    generationTokens.labelValues(label).inc(generated);
  }

  /**
   * A request was refused.
   *
   * @param reason a short lowercase word, e.g. {@code concurrency}, {@code token_rate}, {@code
   *     unauthenticated}
   */
  public void rejected(String tenant, String reason) {
    rejections.labelValues(label(tenant), Objects.requireNonNull(reason, "reason")).inc();
  }

  /** A request first ran after waiting this long. */
  public void queued(String tenant, Duration waited) {
    queueTime.labelValues(label(tenant)).observe(Arguments.seconds(waited, "waited"));
  }
}
