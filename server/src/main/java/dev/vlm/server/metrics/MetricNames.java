package dev.vlm.server.metrics;

/**
 * The names of every metric the server exposes, and what a Kubernetes inference gateway reads.
 *
 * <p>All names carry the {@code vlm:} prefix and mirror vLLM's {@code vllm:} names, so dashboards
 * and routers written for vLLM need only the prefix changed. Every request and scheduler
 * series carries the label {@value #MODEL_LABEL} with the model's configured name.
 *
 * <h2>Gateway API Inference Extension</h2>
 *
 * The extension's endpoint picker (EPP) scrapes three gauges from each model server: its
 * model-server protocol names them TotalQueuedRequests, TotalRunningRequests and
 * KVCacheUtilization, and its defaults are vLLM's {@code vllm:num_requests_waiting},
 * {@code vllm:num_requests_running} and {@code vllm:kv_cache_usage_perc} (vLLM before its V1
 * engine, and older EPP releases, used {@code vllm:gpu_cache_usage_perc} for the last). The
 * protocol fixes types and meaning, not names, so point the EPP at ours with its flags (newer
 * EPP releases take the same metric specs in their EndpointPickerConfig file instead):
 *
 * <pre>
 * --total-queued-requests-metric     vlm:num_requests_waiting{model_name=MODEL}
 * --total-running-requests-metric    vlm:num_requests_running{model_name=MODEL}
 * --kv-cache-usage-percentage-metric vlm:kv_cache_usage_perc{model_name=MODEL}
 * </pre>
 *
 * The label selector matters because one pod of this server can host several models, each
 * with its own queue and KV cache: an InferencePool serving {@code MODEL} must read that
 * model's series, not whichever model the scrape lists first. Despite the {@code _perc}
 * suffix, KV-cache usage is a fraction from 0 to 1, as in vLLM.
 *
 * <p>For a pool whose pods serve several models, the {@code vlm:server_*} gauges give the pod
 * totals instead (no label), and {@link #MODELS_INFO} lists which models each pod holds in the
 * shape of vLLM's LoRA info, so the picker's adapter affinity sends a model's requests to pods
 * that have it loaded. deploy/k8s configures the picker this way.
 */
public final class MetricNames {
  /** Label on every per-model series: the model's configured name. */
  public static final String MODEL_LABEL = "model_name";

  /** Label on {@link #REQUESTS_FINISHED}: why a request ended (e.g. {@code eos}, {@code length}). */
  public static final String FINISHED_REASON_LABEL = "finished_reason";

  /** Label on {@link #REQUESTS_ABORTED}: why a request was dropped (e.g. {@code cancelled}). */
  public static final String ABORT_REASON_LABEL = "reason";

  /** Gauge: requests admitted but not yet running (gateway: TotalQueuedRequests). */
  public static final String REQUESTS_WAITING = "vlm:num_requests_waiting";

  /** Gauge: requests in the running batch (gateway: TotalRunningRequests). */
  public static final String REQUESTS_RUNNING = "vlm:num_requests_running";

  /** Gauge: fraction of the model's KV-cache blocks in use, 0 to 1 (gateway: KVCacheUtilization). */
  public static final String KV_CACHE_USAGE = "vlm:kv_cache_usage_perc";

  /** Histogram, seconds: arrival to first generated token. */
  public static final String TIME_TO_FIRST_TOKEN = "vlm:time_to_first_token_seconds";

  /** Histogram, seconds: gap between consecutive generated tokens of one request. */
  public static final String TIME_PER_OUTPUT_TOKEN = "vlm:time_per_output_token_seconds";

  /** Histogram, seconds: arrival to the last token of a finished request. */
  public static final String E2E_REQUEST_LATENCY = "vlm:e2e_request_latency_seconds";

  /** Histogram, seconds: time a request waited before it first ran. */
  public static final String REQUEST_QUEUE_TIME = "vlm:request_queue_time_seconds";

  /** Counter: requests accepted into a model's queue. No vLLM counterpart. */
  public static final String REQUESTS_RECEIVED = "vlm:requests_received_total";

  /**
   * Counter: requests that ended with a result, by {@link #FINISHED_REASON_LABEL}. vLLM calls
   * this {@code vllm:request_success_total} and counts aborts in it too; here they are apart.
   */
  public static final String REQUESTS_FINISHED = "vlm:requests_finished_total";

  /** Counter: requests dropped before they finished, by {@link #ABORT_REASON_LABEL}. No vLLM counterpart. */
  public static final String REQUESTS_ABORTED = "vlm:requests_aborted_total";

  /** Counter: running requests pushed back to the queue to free KV-cache blocks. */
  public static final String PREEMPTIONS = "vlm:num_preemptions_total";

  /** Counter: prompt tokens of finished requests. */
  public static final String PROMPT_TOKENS = "vlm:prompt_tokens_total";

  /** Counter: generated tokens of finished requests. */
  public static final String GENERATION_TOKENS = "vlm:generation_tokens_total";

  /** Counter: completed model loads. */
  public static final String MODEL_LOADS = "vlm:model_loads_total";

  /** Counter: model loads that failed. */
  public static final String MODEL_LOAD_FAILURES = "vlm:model_load_failures_total";

  /** Counter: models evicted to make room for others. */
  public static final String MODEL_EVICTIONS = "vlm:model_evictions_total";

  /** Histogram, seconds: how long a completed load took. */
  public static final String MODEL_LOAD_TIME = "vlm:model_load_seconds";

  /** Gauge, bytes: memory a model holds while resident (weights, KV arena, activations). */
  public static final String MODEL_RESIDENT_BYTES = "vlm:model_resident_bytes";

  /** Gauge: requests waiting, summed over the server's models (the gateway's per-pod queue). */
  public static final String SERVER_REQUESTS_WAITING = "vlm:server_num_requests_waiting";

  /** Gauge: requests running, summed over the server's models. */
  public static final String SERVER_REQUESTS_RUNNING = "vlm:server_num_requests_running";

  /** Gauge: KV-cache usage of the server's fullest model, 0 to 1. */
  public static final String SERVER_KV_CACHE_USAGE = "vlm:server_kv_cache_usage_perc";

  /**
   * Info gauge in the shape of vLLM's {@code vllm:lora_requests_info}, which the gateway's
   * endpoint picker reads for adapter affinity: here each model is an "adapter". Labels {@link
   * #MAX_MODELS_LABEL}, {@link #LOADED_MODELS_LABEL}, {@link #LOADING_MODELS_LABEL}; the value is
   * the scrape time in epoch seconds.
   */
  public static final String MODELS_INFO = "vlm:lora_requests_info";

  /** Label on {@link #MODELS_INFO}: how many models the server serves (vLLM: {@code max_lora}). */
  public static final String MAX_MODELS_LABEL = "max_lora";

  /** Label on {@link #MODELS_INFO}: resident models, comma-separated (vLLM: {@code running_lora_adapters}). */
  public static final String LOADED_MODELS_LABEL = "running_lora_adapters";

  /** Label on {@link #MODELS_INFO}: models being loaded, comma-separated (vLLM: {@code waiting_lora_adapters}). */
  public static final String LOADING_MODELS_LABEL = "waiting_lora_adapters";

  private MetricNames() {}
}
