package dev.vlm.client.cli;

import dev.vlm.client.ClientOptions;
import dev.vlm.client.ClientTls;
import dev.vlm.client.VlmClient;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The {@code vlm} command line: talks to a vlm server over gRPC.
 *
 * <pre>
 * vlm [--target host:port] [--api-key KEY] [--tls [--ca-cert PEM] [--cert PEM --key PEM]]
 *     [--tenant ID] [--timeout 30s] generate --model M [--image FILE]... PROMPT
 * vlm models
 * vlm model NAME
 * vlm pull NAME
 * vlm bench --model M [--concurrency N | --rate R] [--requests K | --duration D] [--spec FILE]
 * vlm keys hash --tenant NAME [--role user|admin|gateway] [--stdin]
 * </pre>
 *
 * <p>The API key may come from the environment variable {@value #API_KEY_ENV} instead of the
 * command line (where other users could see it in the process list); the flag wins.
 *
 * <p>Generated text is written to stdout as UTF-8 as it arrives; errors go to stderr as {@code
 * error: <STATUS_CODE>: <description>} with an exit code per kind of failure (see {@code
 * --help}). Ctrl-C during {@code generate} cancels the call, so the server stops generating.
 *
 * <p>One instance runs one command line; not thread-safe.
 */
@Command(
    name = "vlm",
    mixinStandardHelpOptions = true,
    versionProvider = VlmCli.Version.class,
    description =
        "Talks to a vlm server: generate text from images and text, list models, benchmark.",
    subcommands = {
      GenerateCommand.class,
      ModelsCommand.class,
      ModelCommand.class,
      PullCommand.class,
      BenchCommand.class,
      KeysCommand.class
    })
public final class VlmCli implements Callable<Integer> {
  private static final long INTERRUPT_GRACE_SECONDS = 3;
  /** The environment variable the API key is read from when {@code --api-key} is not given. */
  static final String API_KEY_ENV = "VLM_API_KEY";

  @Spec private CommandSpec spec;

  @Option(
      names = "--target",
      paramLabel = "HOST:PORT",
      defaultValue = "localhost:50051",
      description = "The server's address (default: ${DEFAULT-VALUE}).")
  private String target;

  @Option(
      names = "--tenant",
      paramLabel = "ID",
      description = "Tenant id, sent as the x-tenant header.")
  private String tenant;

  @Option(
      names = "--api-key",
      paramLabel = "KEY",
      description = "API key, sent as 'authorization: Bearer KEY' (default: $" + API_KEY_ENV + ").")
  private String apiKey;

  @Option(names = "--tls", description = "Connect over TLS (implied by --ca-cert and --cert).")
  private boolean tls;

  @Option(names = "--ca-cert", paramLabel = "PEM", description = "Trust only these CA certificates (default: the JDK's).")
  private Path caCert;

  @Option(names = "--cert", paramLabel = "PEM", description = "Client certificate, for servers that require one (mTLS).")
  private Path cert;

  @Option(names = "--key", paramLabel = "PEM", description = "The client certificate's private key (PKCS#8).")
  private Path key;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "Deadline per call, e.g. 500ms, 30s, 2m (default: none).")
  private Duration timeout;

  private final ClientFactory clients;
  private final InterruptHook interrupts;
  private final Optional<String> apiKeyFromEnvironment;
  private final CountDownLatch finished = new CountDownLatch(1);

  VlmCli(ClientFactory clients, InterruptHook interrupts) {
    this(clients, interrupts, Optional.empty());
  }

  /**
   * @param apiKeyFromEnvironment the value of {@value #API_KEY_ENV}, read once by {@link #main}
   */
  VlmCli(ClientFactory clients, InterruptHook interrupts, Optional<String> apiKeyFromEnvironment) {
    this.clients = clients;
    this.interrupts = interrupts;
    this.apiKeyFromEnvironment = apiKeyFromEnvironment;
  }

  /**
   * Runs the command line and exits with its exit code.
   *
   * @param args the command line arguments
   */
  public static void main(String[] args) {
    PrintWriter out = utf8Writer(FileDescriptor.out);
    PrintWriter err = utf8Writer(FileDescriptor.err);
    int exitCode =
        new VlmCli(VlmClient::connect, new ShutdownHookInterrupts(),
                Optional.ofNullable(System.getenv(API_KEY_ENV)).filter(k -> !k.isBlank()))
            .execute(out, err, args);
    out.flush();
    err.flush();
    System.exit(exitCode);
  }

  /** Runs one command line, writing to {@code out} and {@code err}; returns the exit code. */
  int execute(PrintWriter out, PrintWriter err, String... args) {
    ErrorReporter errors = new ErrorReporter();
    CommandLine commandLine =
        new CommandLine(this)
            .setOut(out)
            .setErr(err)
            .setExecutionExceptionHandler(errors)
            .setParameterExceptionHandler(errors);
    showExitCodesInHelp(commandLine);
    try {
      return commandLine.execute(args);
    } finally {
      finished.countDown();
    }
  }

  private static void showExitCodesInHelp(CommandLine commandLine) {
    commandLine.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n");
    commandLine.getCommandSpec().usageMessage().exitCodeList(ExitCodes.help());
    commandLine.getSubcommands().values().forEach(VlmCli::showExitCodesInHelp);
  }

  /** {@code vlm} with no subcommand: show the usage and fail. */
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return ExitCodes.USAGE;
  }

  /** Opens a client with the global options; the caller closes it. */
  VlmClient openClient() {
    ClientOptions options = ClientOptions.defaults();
    if (tenant != null) {
      options = options.withTenant(tenant);
    }
    if (timeout != null) {
      options = options.withDeadline(timeout);
    }
    Optional<String> bearer = Optional.ofNullable(apiKey).or(() -> apiKeyFromEnvironment);
    if (bearer.isPresent()) {
      options = options.withApiKey(bearer.get());
    }
    if ((cert == null) != (key == null)) {
      throw new IllegalArgumentException("--cert and --key go together");
    }
    if (tls || caCert != null || cert != null) {
      ClientTls settings = ClientTls.systemTrust();
      if (caCert != null) {
        settings = settings.withCaCertificate(caCert);
      }
      if (cert != null) {
        settings = settings.withClientCertificate(cert, key);
      }
      options = options.withTls(settings);
    }
    return clients.open(target, options);
  }

  /**
   * Runs {@code cancel} on Ctrl-C, then lets the command finish reporting (bounded) before the
   * process ends.
   */
  Registration whenInterrupted(Runnable cancel) {
    return interrupts.onInterrupt(
        () -> {
          cancel.run();
          try {
            finished.await(INTERRUPT_GRACE_SECONDS, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
  }

  private static PrintWriter utf8Writer(FileDescriptor descriptor) {
    return new PrintWriter(
        new OutputStreamWriter(new FileOutputStream(descriptor), StandardCharsets.UTF_8), true);
  }

  /** A registration that can be undone; closing never fails. */
  @FunctionalInterface
  interface Registration extends AutoCloseable {
    @Override
    void close();
  }

  /** Reports the version from the jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = VlmCli.class.getPackage().getImplementationVersion();
      return new String[] {"vlm " + (version == null ? "(development build)" : version)};
    }
  }
}
