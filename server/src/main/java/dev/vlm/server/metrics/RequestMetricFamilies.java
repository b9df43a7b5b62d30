package dev.vlm.server.metrics;

import static dev.vlm.server.metrics.MetricNames.ABORT_REASON_LABEL;
import static dev.vlm.server.metrics.MetricNames.FINISHED_REASON_LABEL;
import static dev.vlm.server.metrics.MetricNames.MODEL_LABEL;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;

/** The request and scheduler metric families, one series per model inside each. */
final class RequestMetricFamilies {
  final Gauge waiting;
  final Gauge running;
  final Gauge kvCacheUsage;
  final Histogram timeToFirstToken;
  final Histogram timePerOutputToken;
  final Histogram e2eLatency;
  final Histogram queueTime;
  final Counter received;
  final Counter finished;
  final Counter aborted;
  final Counter preemptions;
  final Counter promptTokens;
  final Counter generationTokens;

  RequestMetricFamilies(MetricFactory factory) {
    waiting = factory.gauge(MetricNames.REQUESTS_WAITING, "Requests waiting to be scheduled.", MODEL_LABEL);
    running = factory.gauge(MetricNames.REQUESTS_RUNNING, "Requests in the running batch.", MODEL_LABEL);
    kvCacheUsage =
        factory.gauge(
            MetricNames.KV_CACHE_USAGE, "Fraction of KV-cache blocks in use, from 0 to 1.", MODEL_LABEL);
    timeToFirstToken =
        factory.histogram(
            MetricNames.TIME_TO_FIRST_TOKEN,
            "Time from arrival to the first generated token, in seconds.",
            Buckets.REQUEST_SECONDS,
            MODEL_LABEL);
    timePerOutputToken =
        factory.histogram(
            MetricNames.TIME_PER_OUTPUT_TOKEN,
            "Time between consecutive generated tokens of a request, in seconds.",
            Buckets.REQUEST_SECONDS,
            MODEL_LABEL);
    e2eLatency =
        factory.histogram(
            MetricNames.E2E_REQUEST_LATENCY,
            "Time from arrival to the end of a finished request, in seconds.",
            Buckets.REQUEST_SECONDS,
            MODEL_LABEL);
    queueTime =
        factory.histogram(
            MetricNames.REQUEST_QUEUE_TIME,
            "Time a request waited before it first ran, in seconds.",
            Buckets.REQUEST_SECONDS,
            MODEL_LABEL);
    received = factory.counter(MetricNames.REQUESTS_RECEIVED, "Requests accepted into the queue.", MODEL_LABEL);
    finished =
        factory.counter(
            MetricNames.REQUESTS_FINISHED,
            "Requests that ended with a result, by finish reason.",
            MODEL_LABEL,
            FINISHED_REASON_LABEL);
    aborted =
        factory.counter(
            MetricNames.REQUESTS_ABORTED,
            "Requests dropped before they finished, by reason.",
            MODEL_LABEL,
            ABORT_REASON_LABEL);
    preemptions =
        factory.counter(
            MetricNames.PREEMPTIONS, "Running requests preempted to free KV-cache blocks.", MODEL_LABEL);
    promptTokens = factory.counter(MetricNames.PROMPT_TOKENS, "Prompt tokens of finished requests.", MODEL_LABEL);
    generationTokens =
        factory.counter(MetricNames.GENERATION_TOKENS, "Generated tokens of finished requests.", MODEL_LABEL);
  }
}
