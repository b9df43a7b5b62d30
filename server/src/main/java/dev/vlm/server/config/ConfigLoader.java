package dev.vlm.server.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

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
      description = "Serves vision-language models (ONNX exports) over gRPC.")
  static final class Flags implements Callable<Integer> {
    @Option(names = "--config", description = "YAML config file; flags override it.")
    Path config;

    @Option(names = "--port", description = "gRPC port (default 50051; 0 picks a free port).", defaultValue = "-1")
    int port;

    @Option(names = "--model", paramLabel = "NAME=DIR", description = "Serve a model directory; repeatable.")
    List<String> models = new ArrayList<>();

    @Option(names = "--metrics-port", description = "Prometheus /metrics port (default 9090; 0 = free port, -1 = none).")
    Integer metricsPort;

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

    @Override
    public Integer call() {
      return 0;
    }
  }

  /** The outcome of reading the command line. */
  public sealed interface Outcome {
    /** Start the server with this config. */
    record Run(ServerConfig config) implements Outcome {}

    /** Help or version was printed; exit with this code. */
    record Exit(int code) implements Outcome {}
  }

  /**
   * @throws IllegalArgumentException with a message for the user if a flag, the file or a
   *     value is invalid
   */
  public static Outcome load(String[] args) {
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
    return new Outcome.Run(toConfig(flags));
  }

  private static ServerConfig toConfig(Flags f) {
    ServerConfig config =
        ServerConfig.of(ServerConfig.DEFAULT_PORT, List.of()).withMetricsPort(ServerConfig.DEFAULT_METRICS_PORT);
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
    return new ServerConfig(port, models, runtime, limits, grace, batching, metricsPort, residency);
  }
}
