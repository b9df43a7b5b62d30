package dev.vlm.server.metrics;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.datapoints.GaugeDataPoint;
import java.time.Duration;

/**
 * What the serving code records for one model; every call lands in the series labelled with
 * this model's name. Obtain it from {@link ServerMetrics#forModel(String)}.
 *
 * <p>Events and gauges follow a request's life: {@link #requestQueued()} when it enters the
 * model's queue, {@link #requestStarted(Duration)} when it first runs, {@link
 * #firstToken(Duration)} and then {@link #outputToken(Duration)} per generated token, and at the
 * end either {@link #requestFinished} or {@link #aborted(String)}. The gauges ({@link
 * #setWaiting}, {@link #setRunning}, {@link #setKvUtilization}) are not derived from those events:
 * the model's loop sets them from its scheduler after each step, so they always show the
 * scheduler's own counts, however requests came and went.
 *
 * <p>Durations come from the caller, measured on its own clock, so tests can drive them
 * without waiting.
 *
 * <p>Thread-safe and lock-free: every method may be called from any thread, and a scrape may
 * run at the same time. Gauge setters are last-writer-wins, so exactly one thread (the model's
 * loop, which owns the scheduler) should call them; they are setters rather than callbacks
 * read at scrape time because a scrape thread must not read scheduler state the loop owns.
 *
 * <p>Every method rejects a bad argument with {@link IllegalArgumentException} (or {@link
 * NullPointerException} for null) and then records nothing.
 */
public final class ModelMetrics {
  private final String modelName;
  private final RequestMetricFamilies families;
  // Bound once: the hot path then skips the label lookup.
  private final GaugeDataPoint waiting;
  private final GaugeDataPoint running;
  private final GaugeDataPoint kvCacheUsage;
  private final DistributionDataPoint timeToFirstToken;
  private final DistributionDataPoint timePerOutputToken;
  private final DistributionDataPoint e2eLatency;
  private final DistributionDataPoint queueTime;
  private final CounterDataPoint received;
  private final CounterDataPoint preemptions;
  private final CounterDataPoint promptTokens;
  private final CounterDataPoint generationTokens;

  ModelMetrics(String modelName, RequestMetricFamilies families) {
    this.modelName = modelName;
    this.families = families;
    // Binding creates each series at zero, so a model with no traffic yet still shows
    // "0 waiting" to a gateway rather than no series at all.
    waiting = families.waiting.labelValues(modelName);
    running = families.running.labelValues(modelName);
    kvCacheUsage = families.kvCacheUsage.labelValues(modelName);
    timeToFirstToken = families.timeToFirstToken.labelValues(modelName);
    timePerOutputToken = families.timePerOutputToken.labelValues(modelName);
    e2eLatency = families.e2eLatency.labelValues(modelName);
    queueTime = families.queueTime.labelValues(modelName);
    received = families.received.labelValues(modelName);
    preemptions = families.preemptions.labelValues(modelName);
    promptTokens = families.promptTokens.labelValues(modelName);
    generationTokens = families.generationTokens.labelValues(modelName);
  }

  /** The model name these metrics are labelled with. */
  public String modelName() {
    return modelName;
  }

  /** A request was accepted into this model's queue. */
  public void requestQueued() {
    received.inc();
  }

  /**
   * A request ran for the first time. Call once per request, not again when a preempted
   * request resumes, so the histogram shows the wait that admission caused.
   *
   * @param timeInQueue from arrival to this first run
   * @throws IllegalArgumentException if {@code timeInQueue} is negative
   */
  public void requestStarted(Duration timeInQueue) {
    queueTime.observe(Arguments.seconds(timeInQueue, "timeInQueue"));
  }

  /**
   * A request produced its first token.
   *
   * @param sinceArrival from the request's arrival to this token
   * @throws IllegalArgumentException if {@code sinceArrival} is negative
   */
  public void firstToken(Duration sinceArrival) {
    timeToFirstToken.observe(Arguments.seconds(sinceArrival, "sinceArrival"));
  }

  /**
   * A request produced a token after its first.
   *
   * @param sinceLastToken from the request's previous token to this one
   * @throws IllegalArgumentException if {@code sinceLastToken} is negative
   */
  public void outputToken(Duration sinceLastToken) {
    timePerOutputToken.observe(Arguments.seconds(sinceLastToken, "sinceLastToken"));
  }

  /**
   * A request ended with a result. The token counters count finished requests only, so
   * their rates read as useful work; aborted requests are counted by {@link #aborted(String)}.
   *
   * @param finishedReason why it ended, from a small fixed set such as {@code eos}, {@code
   *     length}, {@code stop} (each distinct value is a new series)
   * @param sinceArrival from the request's arrival to its end
   * @param promptTokens tokens in its prompt, image tokens included
   * @param generatedTokens tokens it generated
   * @throws IllegalArgumentException if the reason is blank, or a duration or count is negative
   */
  public void requestFinished(String finishedReason, Duration sinceArrival, int promptTokens, int generatedTokens) {
    String reason = Arguments.label(finishedReason, "finishedReason");
    double seconds = Arguments.seconds(sinceArrival, "sinceArrival");
    long prompt = Arguments.count(promptTokens, "promptTokens");
    long generated = Arguments.count(generatedTokens, "generatedTokens");
    families.finished.labelValues(modelName, reason).inc();
    e2eLatency.observe(seconds);
    this.promptTokens.inc(prompt);
    generationTokens.inc(generated);
  }

  /**
   * A request was dropped before it finished.
   *
   * @param reason why, from a small fixed set such as {@code cancelled}, {@code
   *     deadline_exceeded}, {@code shutdown}, {@code error} (each distinct value is a new series)
   * @throws IllegalArgumentException if the reason is blank
   */
  public void aborted(String reason) {
    families.aborted.labelValues(modelName, Arguments.label(reason, "reason")).inc();
  }

  /** A running request was pushed back to the queue to free KV-cache blocks. */
  public void preempted() {
    preemptions.inc();
  }

  double waiting() {
    return waiting.get();
  }

  double running() {
    return running.get();
  }

  double kvUtilization() {
    return kvCacheUsage.get();
  }

  /**
   * Sets how many requests wait to be scheduled (gateway: TotalQueuedRequests).
   *
   * @throws IllegalArgumentException if {@code requests} is negative
   */
  public void setWaiting(int requests) {
    waiting.set(Arguments.count(requests, "waiting requests"));
  }

  /**
   * Sets how many requests are in the running batch (gateway: TotalRunningRequests).
   *
   * @throws IllegalArgumentException if {@code requests} is negative
   */
  public void setRunning(int requests) {
    running.set(Arguments.count(requests, "running requests"));
  }

  /**
   * Sets the fraction of this model's KV-cache blocks in use (gateway: KVCacheUtilization).
   *
   * @param fraction used blocks over total blocks, from 0 to 1
   * @throws IllegalArgumentException if {@code fraction} is outside 0..1 or NaN
   */
  public void setKvUtilization(double fraction) {
    kvCacheUsage.set(Arguments.fraction(fraction, "KV-cache utilization"));
  }
}
