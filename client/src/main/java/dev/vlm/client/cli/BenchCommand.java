package dev.vlm.client.cli;

import dev.vlm.client.VlmClient;
import dev.vlm.client.bench.BenchConfig;
import dev.vlm.client.bench.BenchReport;
import dev.vlm.client.bench.BenchRunner;
import dev.vlm.client.bench.BenchSpec;
import dev.vlm.client.bench.Progress;
import io.grpc.Status;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code vlm bench}: drives load over streamed generation and reports throughput and latency
 * percentiles (see {@link BenchRunner} and {@code client/BENCH.md}).
 */
@Command(
    name = "bench",
    description = {
      "Benchmarks a model: closed loop (--concurrency N requests in flight) or open loop"
          + " (--rate R Poisson arrivals per second), over streamed generation.",
      "Reports requests/s, output tokens/s, time to first token, time per output token and"
          + " end-to-end latency (p50/p90/p99) as a table on stdout, and as JSON with --json.",
      "Requests come from --spec (see client/BENCH.md), or by default a 32-word prompt,"
          + " 16..256 output tokens with ignore_eos, greedy, and --image if given.",
    })
final class BenchCommand implements Callable<Integer> {
  private static final String DEFAULT_SPEC_NAME = "built-in default";

  @ParentCommand private VlmCli cli;
  @Spec private CommandSpec spec;

  @Mixin private HelpOption help;

  @Option(
      names = {"-m", "--model"},
      required = true,
      paramLabel = "MODEL",
      description = "The model to benchmark.")
  private String model;

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  private Load load = new Load();

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  private Length length = new Length();

  @Option(names = "--spec", paramLabel = "FILE", description = "The request mix, as JSON.")
  private Path specFile;

  @Option(
      names = {"-i", "--image"},
      paramLabel = "FILE",
      description = "An image sent with every request of the default mix (not with --spec).")
  private Path image;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the report as JSON.")
  private Path jsonFile;

  @Option(
      names = "--seed",
      paramLabel = "S",
      defaultValue = "0",
      description = "Seeds the mix, prompts and arrivals (default: ${DEFAULT-VALUE}).")
  private long seed;

  @Option(
      names = "--warmup",
      paramLabel = "K",
      defaultValue = "0",
      description = "Requests to run first, not measured (default: ${DEFAULT-VALUE}).")
  private int warmup;

  @Option(
      names = "--max-in-flight",
      paramLabel = "N",
      defaultValue = "" + BenchConfig.DEFAULT_MAX_IN_FLIGHT,
      description = "Open loop: the most requests in flight (default: ${DEFAULT-VALUE}).")
  private int maxInFlight;

  @Option(names = "--no-progress", description = "Do not print the progress line on stderr.")
  private boolean noProgress;

  /** Closed or open loop. */
  static final class Load {
    @Option(
        names = {"-c", "--concurrency"},
        paramLabel = "N",
        description = "Closed loop: requests in flight (default: 1).")
    int concurrency = 1;

    @Option(
        names = {"-r", "--rate"},
        paramLabel = "R",
        description = "Open loop: mean Poisson arrivals per second.")
    Double rate;
  }

  /** Bounded by count or by time. */
  static final class Length {
    @Option(
        names = {"-n", "--requests"},
        paramLabel = "K",
        description = "Measured requests to issue (default: 100).")
    long requests = 100;

    @Option(
        names = {"-d", "--duration"},
        paramLabel = "DURATION",
        converter = DurationConverter.class,
        description = "Issue requests for this long instead, e.g. 30s, 2m.")
    Duration duration;
  }

  @Override
  public Integer call() throws InterruptedException {
    double rate = load.rate == null ? 0 : load.rate;
    if (load.rate != null && !(rate > 0 && rate < Double.POSITIVE_INFINITY)) {
      throw new InputException("--rate must be a positive number, got " + load.rate);
    }
    if (specFile != null && image != null) {
      throw new InputException("--image applies to the default mix; name images in --spec");
    }
    long requests = length.duration == null ? length.requests : 0;
    long durationMillis = length.duration == null ? 0 : length.duration.toMillis();
    BenchConfig config =
        new BenchConfig(
            model, load.concurrency, rate, maxInFlight, requests, durationMillis, warmup,
            seed);
    BenchSpec mix =
        specFile == null
            ? BenchSpec.defaultSpec(Optional.ofNullable(image))
            : BenchSpec.read(specFile);
    String specName = specFile == null ? DEFAULT_SPEC_NAME : specFile.toString();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();

    BenchReport report;
    try (VlmClient client = cli.openClient()) {
      BenchRunner runner = new BenchRunner(client, config, mix, specName);
      try (VlmCli.Registration onCtrlC = cli.whenInterrupted(runner::stop)) {
        report = runner.run(noProgress ? progress -> {} : progress -> showProgress(err, progress));
      }
    }
    if (!noProgress) {
      err.println();
      err.flush();
    }
    out.print(report.table());
    out.flush();
    if (jsonFile != null) {
      writeJson(report);
    }
    return exitCode(report);
  }

  private static void showProgress(PrintWriter err, Progress progress) {
    // Pad so that a shorter line fully covers the previous one.
    err.print(String.format(Locale.ROOT, "\r%-70s", progress.line()));
    err.flush();
  }

  private void writeJson(BenchReport report) {
    try {
      Files.writeString(jsonFile, report.toJson() + System.lineSeparator());
    } catch (IOException e) {
      throw new InputException("cannot write --json file " + jsonFile + ": " + e.getMessage());
    }
  }

  /** Success unless every request failed; then the exit code of the most frequent status. */
  private static int exitCode(BenchReport report) {
    if (report.completed() > 0 || report.failed() == 0) {
      return ExitCodes.OK;
    }
    String commonest =
        report.errors().entrySet().stream()
            .max(
                Map.Entry.<String, Long>comparingByValue()
                    .thenComparing(Map.Entry.comparingByKey(Comparator.reverseOrder())))
            .orElseThrow()
            .getKey();
    return ExitCodes.forStatus(Status.Code.valueOf(commonest));
  }
}
