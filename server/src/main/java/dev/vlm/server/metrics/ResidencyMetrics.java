package dev.vlm.server.metrics;

import static dev.vlm.server.metrics.MetricNames.MODEL_LABEL;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import java.time.Duration;

/**
 * What the model residency manager records: loads, failed loads, evictions, load time, and the
 * bytes each resident model holds. Obtain it from {@link ServerMetrics#residency()}.
 *
 * <p>Thread-safe and lock-free. {@link #setResidentBytes} is last-writer-wins; call it from the
 * one place that reserves and releases a model's memory.
 *
 * <p>Every method rejects a bad argument with {@link IllegalArgumentException} (or {@link
 * NullPointerException} for null) and then records nothing.
 */
public final class ResidencyMetrics {
  private final Counter loads;
  private final Counter loadFailures;
  private final Counter evictions;
  private final Histogram loadTime;
  private final Gauge residentBytes;

  ResidencyMetrics(MetricFactory factory) {
    loads = factory.counter(MetricNames.MODEL_LOADS, "Completed model loads.", MODEL_LABEL);
    loadFailures = factory.counter(MetricNames.MODEL_LOAD_FAILURES, "Model loads that failed.", MODEL_LABEL);
    evictions =
        factory.counter(MetricNames.MODEL_EVICTIONS, "Models evicted to make room for others.", MODEL_LABEL);
    loadTime =
        factory.histogram(
            MetricNames.MODEL_LOAD_TIME, "Time a completed model load took, in seconds.", Buckets.LOAD_SECONDS, MODEL_LABEL);
    residentBytes =
        factory.gauge(
            MetricNames.MODEL_RESIDENT_BYTES, "Bytes a resident model holds; 0 when not resident.", MODEL_LABEL);
  }

  /**
   * A model finished loading.
   *
   * @param loadTime from the start of the load until the model could serve
   * @throws IllegalArgumentException if the name is blank or {@code loadTime} is negative
   */
  public void loaded(String modelName, Duration loadTime) {
    String model = Arguments.label(modelName, "modelName");
    double seconds = Arguments.seconds(loadTime, "loadTime");
    loads.labelValues(model).inc();
    this.loadTime.labelValues(model).observe(seconds);
  }

  /**
   * A model's load failed.
   *
   * @throws IllegalArgumentException if the name is blank
   */
  public void loadFailed(String modelName) {
    loadFailures.labelValues(Arguments.label(modelName, "modelName")).inc();
  }

  /**
   * A model was evicted to make room for another. Set its bytes to 0 with {@link
   * #setResidentBytes} once its memory is actually released.
   *
   * @throws IllegalArgumentException if the name is blank
   */
  public void evicted(String modelName) {
    evictions.labelValues(Arguments.label(modelName, "modelName")).inc();
  }

  /**
   * Sets the bytes a model holds while resident; 0 once unloaded.
   *
   * @throws IllegalArgumentException if the name is blank or {@code bytes} is negative
   */
  public void setResidentBytes(String modelName, long bytes) {
    String model = Arguments.label(modelName, "modelName");
    long checked = Arguments.count(bytes, "resident bytes"); // before labelValues, which creates the series
    residentBytes.labelValues(model).set(checked);
  }
}
