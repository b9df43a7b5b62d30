package dev.vlm.server.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.vlm.server.model.ModelGraph;
import dev.vlm.server.model.described.DescribedFamily;
import dev.vlm.server.model.WeightType;
import dev.vlm.server.model.WeightTypes;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads the server's YAML config file (JSON works too) on top of a base config. Unknown keys
 * are errors, so a typo never silently falls back to a default.
 *
 * <pre>
 * port: 50051
 * device: cpu            # or cuda
 * cuda_device_id: 0
 * intra_op_threads: 0    # 0 = one per core
 * inter_op_threads: 0
 * shutdown_grace: 30s
 * metrics_port: 9090     # Prometheus /metrics; -1 for none
 * http_port: 8000        # OpenAI-compatible HTTP API; -1 for none
 * log_format: text       # or json: one object per line
 * http:
 *   remote_images:       # http(s) image URLs; off unless enabled, only from the hosts named
 *     enabled: false
 *     allowed_hosts: [images.example.com]
 *     max_bytes: 20MiB
 *     timeout: 10s
 * batching:
 *   max_running_sequences: 32
 *   max_batched_tokens: 2048
 *   kv_block_size: 16
 *   kv_blocks: 0         # 0 = room for every running sequence at full context
 *   max_encoder_tokens_per_step: 8192
 *   static_batching: false   # true: a new batch only when the running one has finished
 * limits:
 *   max_image_bytes: 20MiB
 *   max_image_pixels: 40000000
 *   max_images_per_request: 8
 *   max_queued_requests_per_model: 256
 *   default_max_new_tokens: 256
 * residency:
 *   memory_budget: 8GiB        # 0 or absent = a share of RAM (cpu) or GPU memory (cuda)
 *   load_failure_backoff: 30s  # a failed model refuses requests this long before retrying
 *   eviction_wait: 30s         # how long a load waits for busy models to go idle
 *   allow_download: false      # true: loading an hf: model missing from the cache pulls it first
 * models:
 *   - name: tiny-llava
 *     path: /models/tiny-llava   # relative paths are relative to the config file
 *     # or path: hf:ORG/REPO[@REVISION][/SUBFOLDER], found in the Hugging Face cache
 *     family: llava              # optional; default is config.json's model_type; or a family
 *                                # description file (NAME.json, relative to this file), docs/MODELS.md
 *     max_context_tokens: 4096   # optional; default the model's own
 *     max_running_sequences: 8   # optional; default batching.max_running_sequences
 *     kv_budget: 512MiB          # optional; default room for every sequence at full context
 *     device: cuda               # optional; default the server's device
 *     pinned: true               # load at start-up, never evict; default false (load on demand)
 *     dtype: q4                  # optional weight type of every graph: fp32 (default), fp16, q8,
 *                                # int8, uint8, q4, q4f16, bnb4; or per graph:
 *                                # {vision_encoder: fp16, embed_tokens: fp16, decoder_model_merged: q4}
 *     chat_template: blip2.jinja # optional Jinja file (relative to the config file) rendering chat
 *                                # requests instead of the model's own template; a model with
 *                                # neither serves raw prompts only
 * listen: 10.0.0.5               # address both ports bind; default all interfaces
 * tls:                           # both ports; see docs/SECURITY.md
 *   cert_chain: server.pem       # PEM, leaf first
 *   private_key: server-key.pem  # PEM, unencrypted PKCS#8
 *   client_ca: clients-ca.pem    # optional: clients must present a certificate it signed (mTLS)
 * auth:                          # absent = development mode (no credentials)
 *   api_keys_file: keys.yaml     # [{key_sha256, tenant, role: user|admin|gateway}], re-read on change
 *   tenant_from_client_cert: false  # with mTLS, a certificate's subject CN names the tenant
 *   reload_interval: 2s
 * tenants:                       # quotas; "default" applies to tenants not listed
 *   - name: default
 *     max_concurrent_requests: 8 # 0 = unlimited
 *     tokens_per_minute: 60000   # prompt + output tokens; 0 = unlimited
 *     max_priority: 0            # higher requested priorities are clamped to this
 *     models: [tiny-llava]       # optional: the models it may use and see; default all
 * </pre>
 */
final class ConfigFile {
  private static final Set<String> TOP_KEYS =
      Set.of(
          "port", "device", "cuda_device_id", "intra_op_threads", "inter_op_threads",
          "shutdown_grace", "limits", "models", "metrics_port", "batching", "residency", "http_port", "http",
          "log_format", "listen", "tls", "auth", "tenants");
  private static final Set<String> HTTP_KEYS = Set.of("remote_images");
  private static final Set<String> REMOTE_IMAGE_KEYS = Set.of("enabled", "allowed_hosts", "max_bytes", "timeout");
  private static final Set<String> BATCHING_KEYS =
      Set.of("max_running_sequences", "max_batched_tokens", "kv_block_size", "kv_blocks", "max_encoder_tokens_per_step",
          "static_batching");
  private static final Set<String> LIMIT_KEYS =
      Set.of(
          "max_image_bytes", "max_image_pixels", "max_images_per_request",
          "max_queued_requests_per_model", "default_max_new_tokens", "max_pending_stream_messages");
  private static final Set<String> MODEL_KEYS =
      Set.of("name", "path", "family", "max_context_tokens", "max_running_sequences", "kv_budget", "device", "pinned",
          "dtype", "chat_template");
  private static final Set<String> TLS_KEYS = Set.of("cert_chain", "private_key", "client_ca");
  private static final Set<String> AUTH_KEYS = Set.of("api_keys_file", "tenant_from_client_cert", "reload_interval");
  private static final Set<String> TENANT_KEYS =
      Set.of("name", "max_concurrent_requests", "tokens_per_minute", "max_priority", "models");
  private static final Set<String> RESIDENCY_KEYS =
      Set.of("memory_budget", "load_failure_backoff", "eviction_wait", "allow_download");

  private ConfigFile() {}

  static ServerConfig apply(Path file, ServerConfig base) {
    JsonNode root;
    try {
      root = new YAMLMapper().readTree(file.toFile());
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read config file " + file + ": " + e.getMessage(), e);
    }
    if (root == null || root.isNull() || root.isMissingNode()) {
      return base;
    }
    requireKnownKeys(root, TOP_KEYS, "");
    Path dir = file.toAbsolutePath().getParent();

    RuntimeSettings rt = base.runtime();
    RuntimeSettings runtime =
        new RuntimeSettings(
            root.has("device") ? Device.parse(root.get("device").asText()) : rt.device(),
            intOr(root, "cuda_device_id", rt.cudaDeviceId()),
            intOr(root, "intra_op_threads", rt.intraOpThreads()),
            intOr(root, "inter_op_threads", rt.interOpThreads()));

    RequestLimits limits = base.limits();
    JsonNode l = root.path("limits");
    if (l.isObject()) {
      requireKnownKeys(l, LIMIT_KEYS, "limits.");
      limits =
          new RequestLimits(
              l.has("max_image_bytes") ? ByteSize.parse(l.get("max_image_bytes").asText()) : limits.maxImageBytes(),
              l.has("max_image_pixels") ? l.get("max_image_pixels").asLong() : limits.maxImagePixels(),
              intOr(l, "max_images_per_request", limits.maxImagesPerRequest()),
              intOr(l, "max_queued_requests_per_model", limits.maxQueuedRequestsPerModel()),
              intOr(l, "default_max_new_tokens", limits.defaultMaxNewTokens()),
              intOr(l, "max_pending_stream_messages", limits.maxPendingStreamMessages()));
    }

    List<ModelSpec> models = new ArrayList<>(base.models());
    JsonNode m = root.path("models");
    if (!m.isMissingNode() && !m.isArray()) {
      throw new IllegalArgumentException("config 'models' must be a list");
    }
    int index = 0;
    for (JsonNode entry : m) {
      String where = "models[" + index++ + "]";
      requireKnownKeys(entry, MODEL_KEYS, where + ".");
      if (!entry.hasNonNull("name") || !entry.hasNonNull("path")) {
        throw new IllegalArgumentException("config " + where + " needs 'name' and 'path'");
      }
      ModelSource source = ModelSource.parse(entry.get("path").asText(), dir);
      // A family is a name, or a description file (".json"), found relative to this file.
      Optional<String> family = Optional.ofNullable(entry.get("family")).map(JsonNode::asText)
          .map(f -> f.endsWith(DescribedFamily.FILE_SUFFIX) ? dir.resolve(f).normalize().toString() : f);
      JsonNode pinned = entry.path("pinned");
      if (!pinned.isMissingNode() && !pinned.isBoolean()) {
        throw new IllegalArgumentException("config " + where + ".pinned must be true or false, got " + pinned);
      }
      models.add(new ModelSpec(
          entry.get("name").asText(), source, family,
          intOr(entry, "max_context_tokens", 0),
          intOr(entry, "max_running_sequences", 0),
          entry.has("kv_budget") ? ByteSize.parse(entry.get("kv_budget").asText()) : 0,
          Optional.ofNullable(entry.get("device")).map(d -> Device.parse(d.asText())),
          pinned.asBoolean(false),
          entry.has("dtype") ? weightTypes(entry.get("dtype"), where + ".dtype") : WeightTypes.fp32(),
          Optional.ofNullable(entry.get("chat_template")).map(t -> dir.resolve(t.asText()))));
    }

    BatchingSettings batching = base.batching();
    JsonNode b = root.path("batching");
    if (b.isObject()) {
      requireKnownKeys(b, BATCHING_KEYS, "batching.");
      batching =
          new BatchingSettings(
              intOr(b, "max_running_sequences", batching.maxRunningSequences()),
              intOr(b, "max_batched_tokens", batching.maxBatchedTokens()),
              intOr(b, "kv_block_size", batching.kvBlockSize()),
              intOr(b, "kv_blocks", batching.kvBlocks()),
              intOr(b, "max_encoder_tokens_per_step", batching.maxEncoderTokensPerStep()),
              booleanOr(b, "static_batching", batching.staticBatching()));
    }
    ResidencySettings residency = base.residency();
    JsonNode r = root.path("residency");
    if (r.isObject()) {
      requireKnownKeys(r, RESIDENCY_KEYS, "residency.");
      residency =
          new ResidencySettings(
              r.has("memory_budget") ? ByteSize.parse(r.get("memory_budget").asText()) : residency.memoryBudgetBytes(),
              r.has("load_failure_backoff")
                  ? Durations.parse(r.get("load_failure_backoff").asText())
                  : residency.loadFailureBackoff(),
              r.has("eviction_wait") ? Durations.parse(r.get("eviction_wait").asText()) : residency.evictionWait(),
              booleanOr(r, "allow_download", residency.allowDownload()));
    }
    Duration grace =
        root.has("shutdown_grace") ? Durations.parse(root.get("shutdown_grace").asText()) : base.shutdownGrace();
    HttpSettings http = base.http().withPort(intOr(root, "http_port", base.http().port()));
    JsonNode h = root.path("http");
    if (!h.isMissingNode()) {
      requireKnownKeys(h, HTTP_KEYS, "http.");
      JsonNode ri = h.path("remote_images");
      if (!ri.isMissingNode()) {
        http = http.withRemoteImages(remoteImages(ri, http.remoteImages()));
      }
    }
    LogFormat logFormat = root.has("log_format") ? LogFormat.parse(root.get("log_format").asText()) : base.logFormat();
    return new ServerConfig(
            intOr(root, "port", base.port()), models, runtime, limits, grace, batching,
            intOr(root, "metrics_port", base.metricsPort()), residency)
        .withHttp(http)
        .withLogFormat(logFormat)
        .withListenAddress(root.has("listen") ? Optional.of(root.get("listen").asText()) : base.listenAddress())
        .withTls(root.has("tls") ? Optional.of(tls(root.get("tls"), dir)) : base.tls())
        .withAuth(root.has("auth") ? Optional.of(auth(root.get("auth"), dir)) : base.auth())
        .withTenants(root.has("tenants") ? tenants(root.get("tenants")) : base.tenants())
        .withHub(base.hub());
  }

  private static RemoteImageSettings remoteImages(JsonNode node, RemoteImageSettings base) {
    requireKnownKeys(node, REMOTE_IMAGE_KEYS, "http.remote_images.");
    List<String> hosts = base.allowedHosts();
    JsonNode h = node.path("allowed_hosts");
    if (!h.isMissingNode()) {
      if (!h.isArray()) {
        throw new IllegalArgumentException("config 'http.remote_images.allowed_hosts' must be a list of host names");
      }
      hosts = new ArrayList<>();
      for (JsonNode host : h) {
        hosts.add(host.asText());
      }
    }
    return new RemoteImageSettings(
        booleanOr(node, "enabled", base.enabled()), hosts,
        node.has("max_bytes") ? ByteSize.parse(node.get("max_bytes").asText()) : base.maxBytes(),
        node.has("timeout") ? Durations.parse(node.get("timeout").asText()) : base.timeout());
  }

  /** A dtype name for every graph, or a map from graph stem to dtype name. */
  private static WeightTypes weightTypes(JsonNode node, String where) {
    try {
      if (node.isTextual()) {
        return WeightTypes.uniform(WeightType.parse(node.asText()));
      }
      if (node.isObject()) {
        EnumMap<ModelGraph, WeightType> map = new EnumMap<>(ModelGraph.class);
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
          String graph = it.next();
          map.put(ModelGraph.ofStem(graph), WeightType.parse(node.get(graph).asText()));
        }
        return WeightTypes.perGraph(map);
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("config " + where + ": " + e.getMessage(), e);
    }
    throw new IllegalArgumentException("config " + where + " must be a dtype name or a map from graph to dtype, got " + node);
  }

  private static TlsSettings tls(JsonNode node, Path dir) {
    requireKnownKeys(node, TLS_KEYS, "tls.");
    if (!node.hasNonNull("cert_chain") || !node.hasNonNull("private_key")) {
      throw new IllegalArgumentException("config tls needs 'cert_chain' and 'private_key'");
    }
    return new TlsSettings(
        dir.resolve(node.get("cert_chain").asText()).normalize(),
        dir.resolve(node.get("private_key").asText()).normalize(),
        Optional.ofNullable(node.get("client_ca")).map(ca -> dir.resolve(ca.asText()).normalize()));
  }

  private static AuthSettings auth(JsonNode node, Path dir) {
    requireKnownKeys(node, AUTH_KEYS, "auth.");
    return new AuthSettings(
        Optional.ofNullable(node.get("api_keys_file")).map(f -> dir.resolve(f.asText()).normalize()),
        booleanOr(node, "tenant_from_client_cert", false),
        node.has("reload_interval")
            ? Durations.parse(node.get("reload_interval").asText())
            : AuthSettings.DEFAULT_RELOAD_INTERVAL);
  }

  private static TenantPolicies tenants(JsonNode node) {
    if (!node.isArray()) {
      throw new IllegalArgumentException("config 'tenants' must be a list");
    }
    List<TenantPolicy> entries = new ArrayList<>();
    int index = 0;
    for (JsonNode entry : node) {
      String where = "tenants[" + index++ + "]";
      requireKnownKeys(entry, TENANT_KEYS, where + ".");
      if (!entry.hasNonNull("name")) {
        throw new IllegalArgumentException("config " + where + " needs 'name'");
      }
      Optional<Set<String>> models = Optional.empty();
      JsonNode m = entry.get("models");
      if (m != null) {
        if (!m.isArray()) {
          throw new IllegalArgumentException("config " + where + ".models must be a list of model names");
        }
        Set<String> names = new TreeSet<>();
        m.forEach(name -> names.add(name.asText()));
        models = Optional.of(names);
      }
      JsonNode rate = entry.get("tokens_per_minute");
      if (rate != null && !rate.canConvertToLong()) {
        throw new IllegalArgumentException("config " + where + ".tokens_per_minute must be an integer, got " + rate);
      }
      entries.add(new TenantPolicy(
          entry.get("name").asText(),
          intOr(entry, "max_concurrent_requests", 0),
          rate == null ? 0 : rate.asLong(),
          intOr(entry, "max_priority", TenantPolicy.MAX_PRIORITY),
          models));
    }
    return TenantPolicies.of(entries);
  }

  private static boolean booleanOr(JsonNode node, String key, boolean fallback) {
    JsonNode value = node.get(key);
    if (value == null) {
      return fallback;
    }
    if (!value.isBoolean()) {
      throw new IllegalArgumentException("config '" + key + "' must be true or false, got " + value);
    }
    return value.asBoolean();
  }

  private static int intOr(JsonNode node, String key, int fallback) {
    JsonNode value = node.get(key);
    if (value == null) {
      return fallback;
    }
    if (!value.canConvertToInt()) {
      throw new IllegalArgumentException("config '" + key + "' must be an integer, got " + value);
    }
    return value.asInt();
  }

  private static void requireKnownKeys(JsonNode node, Set<String> known, String prefix) {
    if (!node.isObject()) {
      throw new IllegalArgumentException("config '" + prefix + "' must be a mapping");
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!known.contains(key)) {
        throw new IllegalArgumentException(
            "unknown config key '" + prefix + key + "'; known keys: " + known.stream().sorted().toList());
      }
    }
  }
}
