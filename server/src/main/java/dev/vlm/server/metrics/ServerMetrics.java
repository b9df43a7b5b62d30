package dev.vlm.server.metrics;

import io.prometheus.metrics.config.PrometheusProperties;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;

/**
 * All of the server's metrics, in a registry of their own. Create one at start-up, hand {@link
 * #forModel(String) per-model views} to each model's serving code and {@link #residency()} to
 * the residency manager, and expose it with {@link MetricsEndpoint}.
 *
 * <p>Nothing here is global: no static registry, no settings read from the environment, so
 * tests and several servers in one JVM each see only their own series. Metric names and the
 * mapping a Kubernetes inference gateway needs are in {@link MetricNames}.
 *
 * <p>Thread-safe.
 */
public final class ServerMetrics {
  private final PrometheusProperties properties;
  private final PrometheusRegistry registry;
  private final RequestMetricFamilies requestFamilies;
  private final ResidencyMetrics residency;
  private final GatewayMetrics gateway;
  private final ConcurrentMap<String, ModelMetrics> models = new ConcurrentHashMap<>();

  /** Creates the registry and registers every metric family, with no series yet. */
  public ServerMetrics() {
    properties = PrometheusProperties.builder().build();
    registry = new PrometheusRegistry();
    MetricFactory factory = new MetricFactory(properties, registry);
    requestFamilies = new RequestMetricFamilies(factory);
    residency = new ResidencyMetrics(factory);
    gateway = new GatewayMetrics(properties, registry, models::values);
  }

  /**
   * Where {@value MetricNames#MODELS_INFO} reads which models are in memory, at each scrape.
   *
   * @param source called on scrape threads; must be thread-safe and quick
   */
  public void residentModels(Supplier<ResidentModels> source) {
    gateway.residentModels(source);
  }

  /**
   * The metrics of one model. The first call for a name creates its series at zero; later
   * calls return the same view.
   *
   * @param modelName the model's configured name, the value of label {@value
   *     MetricNames#MODEL_LABEL}
   * @throws IllegalArgumentException if the name is blank
   */
  public ModelMetrics forModel(String modelName) {
    String name = Arguments.label(modelName, "modelName");
    return models.computeIfAbsent(name, n -> new ModelMetrics(n, requestFamilies));
  }

  /** The metrics of model loading, eviction and memory. */
  public ResidencyMetrics residency() {
    return residency;
  }

  /** The content type of {@link #writePrometheusText}. */
  public static String prometheusTextContentType() {
    return PrometheusTextFormatWriter.CONTENT_TYPE;
  }

  /**
   * Writes every series as it is now, in the Prometheus text format: what {@link
   * MetricsEndpoint} serves by default, for other endpoints that serve {@code /metrics} too.
   */
  public void writePrometheusText(OutputStream out) throws IOException {
    PrometheusTextFormatWriter.create().write(out, registry.scrape());
  }

  PrometheusRegistry registry() {
    return registry;
  }

  PrometheusProperties properties() {
    return properties;
  }
}
