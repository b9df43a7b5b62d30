package dev.vlm.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vlm.server.config.TenantPolicies;
import dev.vlm.server.config.TenantPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Concurrency and token-rate limits per tenant, on a hand-driven clock. */
class QuotasTest {
  private final AtomicLong clock = new AtomicLong();
  private final Quotas quotas = new Quotas(TenantPolicies.of(List.of(
      new TenantPolicy("small", 2, 600, 10, Optional.empty()),
      new TenantPolicy("default", 1, 0, 0, Optional.empty()))), clock::get);

  @Test
  void aTenantAtItsConcurrencyIsRefusedUntilARequestEnds() {
    Quotas.Lease first = quotas.acquire("small");
    quotas.acquire("small");
    assertThatThrownBy(() -> quotas.acquire("small"))
        .isInstanceOfSatisfying(Quotas.QuotaExceededException.class, e -> {
          assertThat(e.rejection()).isEqualTo(Quotas.Rejection.CONCURRENCY);
          assertThat(e.status().retryAfter()).contains(Quotas.CONCURRENCY_RETRY);
          assertThat(e.getMessage()).contains("tenant 'small' has 2 requests in flight");
        });
    first.release(0);
    first.release(0); // a second release changes nothing
    quotas.acquire("small");
    assertThatThrownBy(() -> quotas.acquire("small")).isInstanceOf(Quotas.QuotaExceededException.class);
  }

  @Test
  void anOverdrawnBucketRefusesUntilItRefillsAndSaysWhen() {
    quotas.acquire("small").release(650); // 600 per minute: 50 tokens in debt
    assertThat(quotas.tokensLeft("small")).isEqualTo(-50);
    assertThatThrownBy(() -> quotas.acquire("small"))
        .isInstanceOfSatisfying(Quotas.QuotaExceededException.class, e -> {
          assertThat(e.rejection()).isEqualTo(Quotas.Rejection.TOKEN_RATE);
          // 51 tokens at 10 per second.
          assertThat(e.status().retryAfter()).contains(Duration.ofMillis(5100));
        });
    clock.addAndGet(Duration.ofMillis(5100).toNanos());
    quotas.acquire("small").release(1);
    clock.addAndGet(Duration.ofHours(1).toNanos());
    assertThat(quotas.tokensLeft("small")).isEqualTo(600); // never more than a minute's worth
  }

  @Test
  void unlistedTenantsEachGetTheDefaultLimitsOnTheirOwn() {
    quotas.acquire("x");
    assertThatThrownBy(() -> quotas.acquire("x")).isInstanceOf(Quotas.QuotaExceededException.class);
    quotas.acquire("y");
    quotas.acquire("small");
  }

  @Test
  void priorityIsClampedToTheTenantsCeiling() {
    assertThat(quotas.clampPriority("small", 100)).isEqualTo(10);
    assertThat(quotas.clampPriority("small", 5)).isEqualTo(5);
    assertThat(quotas.clampPriority("anyone", 7)).isZero();
    assertThat(quotas.clampPriority("anyone", -3)).isEqualTo(-3);
  }
}
