package dev.vlm.server.metrics;

import io.prometheus.metrics.config.PrometheusProperties;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Collection;
import java.util.List;
import java.util.function.Supplier;

/**
 * Server-wide series for the Gateway API inference extension's endpoint picker, computed at
 * scrape time. The picker reads one queue, one running count and one KV-cache figure per pod,
 * but a pod of this server hosts several models, each with its own queue and cache, so the
 * per-model gauges are folded into pod totals: requests waiting and running are summed, KV-cache
 * usage is the fullest model's (a pod whose cache for one model is full cannot take that model's
 * requests). Model affinity comes through the picker's LoRA-adapter affinity: each served model
 * is listed as an "adapter", loaded ones as running, ones being loaded as waiting, so requests
 * for a model go to pods that already hold it. Thread-safe.
 */
final class GatewayMetrics {
  private volatile Supplier<ResidentModels> residentModels = () -> new ResidentModels(List.of(), List.of(), 0);

  GatewayMetrics(PrometheusProperties properties, PrometheusRegistry registry, Supplier<Collection<ModelMetrics>> models) {
    GaugeWithCallback.builder(properties)
        .name(MetricNames.SERVER_REQUESTS_WAITING)
        .help("Requests waiting, summed over every model of this server (gateway: TotalQueuedRequests).")
        .callback(cb -> cb.call(models.get().stream().mapToDouble(ModelMetrics::waiting).sum()))
        .register(registry);
    GaugeWithCallback.builder(properties)
        .name(MetricNames.SERVER_REQUESTS_RUNNING)
        .help("Requests running, summed over every model of this server (gateway: TotalRunningRequests).")
        .callback(cb -> cb.call(models.get().stream().mapToDouble(ModelMetrics::running).sum()))
        .register(registry);
    GaugeWithCallback.builder(properties)
        .name(MetricNames.SERVER_KV_CACHE_USAGE)
        .help("KV-cache usage of this server's fullest model, 0 to 1 (gateway: KVCacheUtilization).")
        .callback(cb -> cb.call(models.get().stream().mapToDouble(ModelMetrics::kvUtilization).max().orElse(0)))
        .register(registry);
    GaugeWithCallback.builder(properties)
        .name(MetricNames.MODELS_INFO)
        .help("Models in memory as the gateway's adapter-affinity routing reads them; the value is the time of the "
            + "scrape, in seconds since the epoch.")
        .labelNames(MetricNames.MAX_MODELS_LABEL, MetricNames.LOADED_MODELS_LABEL, MetricNames.LOADING_MODELS_LABEL)
        .callback(cb -> {
          ResidentModels now = residentModels.get();
          cb.call(System.currentTimeMillis() / 1000.0, Integer.toString(now.configured()),
              String.join(",", now.loaded()), String.join(",", now.loading()));
        })
        .register(registry);
  }

  void residentModels(Supplier<ResidentModels> source) {
    this.residentModels = source;
  }
}
