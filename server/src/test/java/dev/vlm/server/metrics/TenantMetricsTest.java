package dev.vlm.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Per-tenant series, whose tenant label takes only configured names and "other"; the access-log line. */
class TenantMetricsTest {
  private static Map<String, String> tenant(String name) {
    return Map.of(TenantMetrics.TENANT_LABEL, name);
  }

  @Test
  void configuredTenantsGetTheirOwnSeriesAndEveryoneElseSharesOther() throws Exception {
    ServerMetrics metrics = new ServerMetrics(Set.of("team-a"));
    TenantMetrics tenants = metrics.tenants();
    tenants.finished("team-a", 40, 8);
    tenants.finished("made-up-1", 10, 1);
    tenants.finished("made-up-2", 10, 2);
    tenants.rejected("team-a", "token_rate");
    tenants.rejected("made-up-3", "concurrency");
    tenants.queued("team-a", Duration.ofMillis(30));

    Exposition scrape = Scrapes.scrape(metrics);

    assertThat(scrape.value(TenantMetrics.REQUESTS, tenant("team-a"))).isEqualTo(1);
    assertThat(scrape.value(TenantMetrics.REQUESTS, tenant("other"))).isEqualTo(2);
    assertThat(scrape.value(TenantMetrics.PROMPT_TOKENS, tenant("other"))).isEqualTo(20);
    assertThat(scrape.value(TenantMetrics.GENERATION_TOKENS, tenant("team-a"))).isEqualTo(8);
    assertThat(scrape.value(TenantMetrics.REJECTIONS, Map.of("tenant", "team-a", "reason", "token_rate"))).isEqualTo(1);
    assertThat(scrape.value(TenantMetrics.REJECTIONS, Map.of("tenant", "other", "reason", "concurrency"))).isEqualTo(1);
    assertThat(scrape.value(TenantMetrics.QUEUE_TIME + "_count", tenant("team-a"))).isEqualTo(1);
    assertThat(scrape.has(TenantMetrics.REQUESTS, tenant("made-up-1"))).isFalse();
  }

  @Test
  void anAccessLogLineHasEveryFieldAndClientStringsCannotBreakIt() {
    assertThat(AccessLog.format(new AccessLog.Entry("r 1=x", "team-a", "tiny-llava", "OK", 38, 2,
            Duration.ofMillis(3), Duration.ofMillis(41), Duration.ofMillis(388))))
        .isEqualTo("request_id=r_1_x tenant=team-a model=tiny-llava status=OK prompt_tokens=38 output_tokens=2 "
            + "queue_ms=3 ttft_ms=41 total_ms=388");
    assertThat(AccessLog.format(new AccessLog.Entry("", "t", "m", "NOT_FOUND", 0, 0, null, null, Duration.ZERO)))
        .isEqualTo("request_id=- tenant=t model=m status=NOT_FOUND prompt_tokens=0 output_tokens=0 "
            + "queue_ms=- ttft_ms=- total_ms=0");
  }
}
