package dev.vlm.server.metrics;

import io.prometheus.metrics.config.PrometheusProperties;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * Builds metrics with the server's settings and registers them in one registry. Settings are
 * fixed here, not read from the Prometheus client's global properties (system properties and
 * a properties file), so a scrape shows the same series wherever the server runs.
 */
final class MetricFactory {
  private final PrometheusProperties properties;
  private final PrometheusRegistry registry;

  MetricFactory(PrometheusProperties properties, PrometheusRegistry registry) {
    this.properties = properties;
    this.registry = registry;
  }

  Counter counter(String name, String help, String... labelNames) {
    return Counter.builder(properties)
        .name(name)
        .help(help)
        .labelNames(labelNames)
        .withoutExemplars()
        .register(registry);
  }

  Gauge gauge(String name, String help, String... labelNames) {
    return Gauge.builder(properties)
        .name(name)
        .help(help)
        .labelNames(labelNames)
        .withoutExemplars()
        .register(registry);
  }

  /** Classic buckets only: the text format Prometheus and gateways scrape cannot carry native ones. */
  Histogram histogram(String name, String help, double[] upperBounds, String... labelNames) {
    return Histogram.builder(properties)
        .name(name)
        .help(help)
        .labelNames(labelNames)
        .classicOnly()
        .classicUpperBounds(upperBounds)
        .withoutExemplars()
        .register(registry);
  }
}
