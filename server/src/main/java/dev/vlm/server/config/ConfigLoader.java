package dev.vlm.server.config;

import dev.vlm.server.model.WeightTypes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Builds the {@link ServerConfig} from the command line and an optional config file: defaults,
 * then the file ({@code --config}), then flags. A {@code --model} flag replaces a file entry of the
 * same name.
 */
public final class ConfigLoader {
  private ConfigLoader() {}

  /** The server's flags; picocli fills the fields. */
  @Command(
      name = "vlm-server",
      mixinStandardHelpOptions = true,
      description = "Serves vision-language models (ONNX exports) over gRPC and an OpenAI-compatible HTTP API.",
      subcommands = PullFlags.class)
  static final class Flags implements Callable<Integer> {
    @Option(names = "--config", description = "YAML config file; flags override it.")
    Path config;

    @Option(names = "--port", description = "gRPC port (default 50051; 0 picks a free port).", defaultValue = "-1")
    int port;

    @Option(names = "--model", paramLabel = "NAME=SOURCE",
        description = "Serve a model directory, or hf:ORG/REPO[@REVISION][/SUBFOLDER] from the Hugging Face cache;"
            + " repeatable.")
    List<String> models = new ArrayList<>();

    @Option(names = "--dtype", paramLabel = "NAME=DTYPE",
        description = "Weight type of model NAME: fp32 (default), fp16, q8, int8, uint8, q4, q4f16, bnb4,"
            + " or per graph, e.g. vision_encoder:fp16,decoder_model_merged:q4; repeatable.")
    List<String> dtypes = new ArrayList<>();

    @Option(names = "--metrics-port", description = "Prometheus /metrics port (default 9090; 0 = free port, -1 = none).")
    Integer metricsPort;

    @Option(names = "--http-port",
        description = "OpenAI-compatible HTTP API port (default 8000; 0 = free port, -1 = none).")
    Integer httpPort;

    @Option(names = "--log-format", description = "Log lines as text (default) or json (one object per line).")
    String logFormat;

    @Option(names = "--max-running-sequences", description = "Sequences each model decodes together (default 32).")
    Integer maxRunningSequences;

    @Option(
        names = "--memory-budget",
        description = "Memory all resident models may reserve, e.g. 8GiB (default: 75%% of RAM less the Java heap on cpu, 90%% of GPU memory on cuda).")
    String memoryBudget;

    @Option(names = "--static-batching",
        description = "Form a new batch only when the running one has finished (a benchmark baseline).")
    Boolean staticBatching;

    @Option(names = "--device", description = "cpu or cuda.")
    String device;

    @Option(names = "--cuda-device-id", description = "GPU index with --device cuda.")
    Integer cudaDeviceId;

    @Option(names = "--intra-op-threads", description = "ONNX Runtime threads per operator (0 = one per core).")
    Integer intraOpThreads;

    @Option(names = "--inter-op-threads", description = "ONNX Runtime threads across operators (0 = auto).")
    Integer interOpThreads;

    @Option(names = "--max-image-bytes", description = "Largest encoded image, e.g. 20MiB.")
    String maxImageBytes;

    @Option(names = "--max-image-pixels", description = "Largest decoded image, width x height.")
    Long maxImagePixels;

    @Option(names = "--shutdown-grace", description = "Time in-flight requests get on shutdown, e.g. 30s.")
    String shutdownGrace;

    @Option(names = "--listen", paramLabel = "ADDRESS",
        description = "Address both ports bind, e.g. 127.0.0.1 (default: all interfaces).")
    String listen;

    @Option(names = "--tls-cert", paramLabel = "PEM", description = "Server certificate chain; enables TLS on both ports.")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "PEM", description = "Server private key (unencrypted PKCS#8).")
    Path tlsKey;

    @Option(names = "--tls-client-ca", paramLabel = "PEM",
        description = "CA certificates that sign client certificates; makes clients present one (mTLS).")
    Path tlsClientCa;

    @Override
    public Integer call() {
      return 0;
    }
  }

  /** {@code pull ORG/REPO [--revision R] [--dtype D]}: fills the cache, then exits. */
  @Command(
      name = "pull",
      mixinStandardHelpOptions = true,
      description = "Downloads what the server opens of a Hub model (configs, tokenizer, chat template and the"
          + " graphs of one dtype) into the Hugging Face cache (HF_HUB_CACHE, HF_HOME/hub or"
          + " ~/.cache/huggingface/hub). HF_ENDPOINT and HF_TOKEN are honoured.")
  static final class PullFlags implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ORG/REPO", description = "Repository, optionally ORG/REPO[@REVISION][/SUBFOLDER].")
    String repo;

    @Option(names = "--revision", description = "Branch, tag or commit (default main).")
    String revision;

    @Option(names = "--dtype", paramLabel = "DTYPE",
        description = "fp32 (default), fp16, q8, int8, uint8, q4, q4f16, bnb4, or per graph,"
            + " e.g. vision_encoder:fp16,decoder_model_merged:q4.")
    String dtype;

    @Override
    public Integer call() {
      return 0;
    }
  }

  /** The outcome of reading the command line. */
  public sealed interface Outcome {
    /** Start the server with this config. */
    record Run(ServerConfig config) implements Outcome {}

    /** Pull this model's files for these weight types into the Hub cache, then exit. */
    record Pull(ModelSource.Hub source, WeightTypes weights, HubSettings hub) implements Outcome {}

    /** Help or version was printed; exit with this code. */
    record Exit(int code) implements Outcome {}
  }

  /**
   * Reads the command line and this process's environment (the Hugging Face variables).
   *
   * @throws IllegalArgumentException with a message for the user if a flag, the file or a
   *     value is invalid
   */
  public static Outcome load(String[] args) {
    return load(args, System.getenv(), Path.of(System.getProperty("user.home")));
  }

  /**
   * @param env the environment to read the Hugging Face variables from
   * @param userHome where {@code ~/.cache/huggingface} is when the environment does not say
   * @throws IllegalArgumentException with a message for the user if a flag, the file or a
   *     value is invalid
   */
  public static Outcome load(String[] args, Map<String, String> env, Path userHome) {
    Flags flags = new Flags();
    CommandLine cli = new CommandLine(flags);
    CommandLine.ParseResult parsed;
    try {
      parsed = cli.parseArgs(args);
    } catch (CommandLine.ParameterException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    if (CommandLine.executeHelpRequest(parsed) != null) {
      return new Outcome.Exit(0);
    }
    HubSettings hub = HubEnvironment.read(env, userHome);
    if (parsed.subcommand() != null) {
      return pull(parsed.subcommand().commandSpec().commandLine().getCommand(), hub);
    }
    return new Outcome.Run(toConfig(flags).withHub(hub));
  }

  private static Outcome.Pull pull(PullFlags p, HubSettings hub) {
    String repo = p.repo.startsWith(ModelSource.HUB_PREFIX) ? p.repo.substring(ModelSource.HUB_PREFIX.length()) : p.repo;
    ModelSource.Hub source = ModelSource.Hub.parse(repo);
    if (p.revision != null) {
      source = new ModelSource.Hub(source.repoId(), p.revision, source.subfolder());
    }
    WeightTypes weights;
    try {
      weights = p.dtype == null ? WeightTypes.fp32() : WeightTypes.parse(p.dtype);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--dtype: " + e.getMessage(), e);
    }
    return new Outcome.Pull(source, weights, hub);
  }

  private static ServerConfig toConfig(Flags f) {
    ServerConfig config =
        ServerConfig.of(ServerConfig.DEFAULT_PORT, List.of())
            .withMetricsPort(ServerConfig.DEFAULT_METRICS_PORT)
            .withHttp(HttpSettings.off().withPort(HttpSettings.DEFAULT_PORT));
    if (f.config != null) {
      config = ConfigFile.apply(f.config, config);
    }
    List<ModelSpec> models = new ArrayList<>(config.models());
    Set<String> flagged = new HashSet<>();
    for (String flag : f.models) {
      ModelSpec spec = ModelSpec.parseFlag(flag);
      if (!flagged.add(spec.name())) {
        throw new IllegalArgumentException("--model " + spec.name() + " is given twice");
      }
      models.removeIf(m -> m.name().equals(spec.name()));
      models.add(spec);
    }
    applyDtypes(f.dtypes, models);
    RuntimeSettings rt = config.runtime();
    RuntimeSettings runtime =
        new RuntimeSettings(
            f.device != null ? Device.parse(f.device) : rt.device(),
            f.cudaDeviceId != null ? f.cudaDeviceId : rt.cudaDeviceId(),
            f.intraOpThreads != null ? f.intraOpThreads : rt.intraOpThreads(),
            f.interOpThreads != null ? f.interOpThreads : rt.interOpThreads());
    RequestLimits l = config.limits();
    RequestLimits limits =
        new RequestLimits(
            f.maxImageBytes != null ? ByteSize.parse(f.maxImageBytes) : l.maxImageBytes(),
            f.maxImagePixels != null ? f.maxImagePixels : l.maxImagePixels(),
            l.maxImagesPerRequest(),
            l.maxQueuedRequestsPerModel(),
            l.defaultMaxNewTokens(),
            l.maxPendingStreamMessages());
    Duration grace = f.shutdownGrace != null ? Durations.parse(f.shutdownGrace) : config.shutdownGrace();
    int port = f.port >= 0 ? f.port : config.port();
    BatchingSettings b = config.batching();
    BatchingSettings batching =
        f.maxRunningSequences == null
            ? b
            : new BatchingSettings(f.maxRunningSequences, b.maxBatchedTokens(), b.kvBlockSize(), b.kvBlocks(),
                b.maxEncoderTokensPerStep(), b.staticBatching());
    if (f.staticBatching != null) {
      batching = batching.withStaticBatching(f.staticBatching);
    }
    int metricsPort = f.metricsPort != null ? f.metricsPort : config.metricsPort();
    ResidencySettings residency =
        f.memoryBudget != null
            ? config.residency().withMemoryBudget(ByteSize.parse(f.memoryBudget))
            : config.residency();
    HttpSettings http = f.httpPort != null ? config.http().withPort(f.httpPort) : config.http();
    LogFormat logFormat = f.logFormat != null ? LogFormat.parse(f.logFormat) : config.logFormat();
    ServerConfig result = new ServerConfig(port, models, runtime, limits, grace, batching, metricsPort, residency,
        http, logFormat, f.listen != null ? Optional.of(f.listen) : config.listenAddress(), tls(f, config.tls()),
        config.auth(), config.tenants(), config.hub());
    result.tls().ifPresent(TlsSettings::checkReadable);
    return result;
  }

  /** Applies each {@code --dtype NAME=DTYPE} to the model of that name, from a flag or the file. */
  private static void applyDtypes(List<String> flags, List<ModelSpec> models) {
    Set<String> seen = new HashSet<>();
    for (String flag : flags) {
      int eq = flag.indexOf('=');
      if (eq <= 0 || eq == flag.length() - 1) {
        throw new IllegalArgumentException("--dtype expects NAME=DTYPE, got '" + flag + "'");
      }
      String name = flag.substring(0, eq);
      if (!seen.add(name)) {
        throw new IllegalArgumentException("--dtype " + name + " is given twice");
      }
      WeightTypes weights;
      try {
        weights = WeightTypes.parse(flag.substring(eq + 1));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--dtype " + name + ": " + e.getMessage(), e);
      }
      int index = -1;
      for (int i = 0; i < models.size(); i++) {
        if (models.get(i).name().equals(name)) {
          index = i;
        }
      }
      if (index < 0) {
        throw new IllegalArgumentException("--dtype " + name + " names no configured model");
      }
      models.set(index, models.get(index).withWeights(weights));
    }
  }

  /** Flags replace the file's TLS settings one by one; a key without a certificate is an error. */
  private static Optional<TlsSettings> tls(Flags f, Optional<TlsSettings> file) {
    if (f.tlsCert == null && f.tlsKey == null && f.tlsClientCa == null) {
      return file;
    }
    Path cert = f.tlsCert != null ? f.tlsCert : file.map(TlsSettings::certChain).orElse(null);
    Path key = f.tlsKey != null ? f.tlsKey : file.map(TlsSettings::privateKey).orElse(null);
    if (cert == null || key == null) {
      throw new IllegalArgumentException("TLS needs both --tls-cert and --tls-key (or tls.cert_chain and tls.private_key)");
    }
    Optional<Path> ca = f.tlsClientCa != null ? Optional.of(f.tlsClientCa) : file.flatMap(TlsSettings::clientCa);
    return Optional.of(new TlsSettings(cert, key, ca));
  }
}
