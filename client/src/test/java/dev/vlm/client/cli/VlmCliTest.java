package dev.vlm.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm.api.v1.Content;
import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.ModelInfo;
import dev.vlm.api.v1.ModelState;
import dev.vlm.client.ApiKeys;
import dev.vlm.client.ClientOptions;
import dev.vlm.client.FakeVlmServer;
import dev.vlm.client.VlmClient;
import io.grpc.ManagedChannel;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VlmCliTest {
  private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 1};

  private FakeVlmServer server;
  private ManagedChannel channel;
  private final AtomicReference<String> openedTarget = new AtomicReference<>();
  private final AtomicReference<ClientOptions> openedOptions = new AtomicReference<>();
  private final AtomicReference<Runnable> interruptAction = new AtomicReference<>();
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @BeforeEach
  void start() throws Exception {
    server = FakeVlmServer.inProcess();
    channel = server.newChannel();
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow();
    server.close();
  }

  private int run(String... args) {
    return runWithKeyInEnvironment(Optional.empty(), args);
  }

  private int runWithKeyInEnvironment(Optional<String> environmentKey, String... args) {
    ClientFactory clients =
        (target, options) -> {
          openedTarget.set(target);
          openedOptions.set(options);
          return new VlmClient(channel, options);
        };
    InterruptHook interrupts =
        action -> {
          interruptAction.set(action);
          return () -> interruptAction.set(null);
        };
    return new VlmCli(clients, interrupts, environmentKey)
        .execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
  }

  @Test
  void generatePrintsTheStreamedTextWithANewlineAtTheEnd() {
    int exitCode = run("generate", "--model", "tiny-llava", "Say", "hello");

    assertThat(exitCode).isZero();
    assertThat(out.toString()).isEqualTo(String.join("", FakeVlmServer.DELTAS) + "\n");
    assertThat(err.toString()).isEmpty();
    assertThat(openedTarget.get()).isEqualTo("localhost:50051");
  }

  @Test
  void generateSendsAChatMessageWithImagesAndSampling(@TempDir Path dir) throws Exception {
    Path first = Files.write(dir.resolve("a.png"), PNG);
    Path second = Files.write(dir.resolve("b.png"), new byte[] {1, 2});

    int exitCode =
        run(
            "generate", "-m", "tiny-llava", "--image", first.toString(), "-i", second.toString(),
            "--system", "Be brief.", "--max-tokens", "16", "--temperature", "0.5", "--top-p",
            "0.9", "--top-k", "7", "--seed", "18446744073709551615", "--repetition-penalty",
            "1.2", "--stop", "\\n", "--stop", "END", "--ignore-eos", "--request-id", "rid",
            "What is this?");

    assertThat(exitCode).isZero();
    GenerateRequest request = server.takeCall().request();
    assertThat(request.getModel()).isEqualTo("tiny-llava");
    assertThat(request.getRequestId()).isEqualTo("rid");
    assertThat(request.getMessagesCount()).isEqualTo(2);
    assertThat(request.getMessages(0).getRole()).isEqualTo("system");
    assertThat(request.getMessages(0).getContent(0).getText()).isEqualTo("Be brief.");
    List<Content> user = request.getMessages(1).getContentList();
    assertThat(request.getMessages(1).getRole()).isEqualTo("user");
    assertThat(user).hasSize(3);
    assertThat(user.get(0).getImage().getData().toByteArray()).isEqualTo(PNG);
    assertThat(user.get(1).getImage().getData().toByteArray()).isEqualTo(new byte[] {1, 2});
    assertThat(user.get(2).getText()).isEqualTo("What is this?");
    var sampling = request.getSampling();
    assertThat(sampling.getMaxNewTokens()).isEqualTo(16);
    assertThat(sampling.getTemperature()).isEqualTo(0.5f);
    assertThat(sampling.getTopP()).isEqualTo(0.9f);
    assertThat(sampling.getTopK()).isEqualTo(7);
    assertThat(sampling.getSeed()).isEqualTo(-1L);
    assertThat(sampling.getRepetitionPenalty()).isEqualTo(1.2f);
    assertThat(sampling.getStopList()).containsExactly("\n", "END");
    assertThat(sampling.getIgnoreEos()).isTrue();
    assertThat(request.getPrompt()).isEmpty();
  }

  @Test
  void rawSendsThePromptAndImagesWithoutMessages(@TempDir Path dir) throws Exception {
    Path image = Files.write(dir.resolve("a.png"), PNG);

    int exitCode =
        run("generate", "-m", "m", "--raw", "-i", image.toString(), "USER: <image>\nHi ASSISTANT:");

    assertThat(exitCode).isZero();
    GenerateRequest request = server.takeCall().request();
    assertThat(request.getMessagesList()).isEmpty();
    assertThat(request.getPrompt()).isEqualTo("USER: <image>\nHi ASSISTANT:");
    assertThat(request.getImagesList()).hasSize(1);
    assertThat(request.getImages(0).getData().toByteArray()).isEqualTo(PNG);
    assertThat(request.hasSampling()).isFalse();
  }

  @Test
  void globalOptionsReachTheClientAndTheServer() throws Exception {
    int exitCode =
        run("--target", "example:1234", "--tenant", "team-b", "--timeout", "90s", "generate",
            "-m", "m", "hi");

    assertThat(exitCode).isZero();
    assertThat(openedTarget.get()).isEqualTo("example:1234");
    assertThat(openedOptions.get().deadline()).contains(java.time.Duration.ofSeconds(90));
    FakeVlmServer.RecordedCall call = server.takeCall();
    assertThat(call.tenant()).isEqualTo("team-b");
    assertThat(call.deadline().timeRemaining(TimeUnit.SECONDS)).isBetween(80L, 90L);
  }

  @Test
  void verbosePrintsFinishReasonAndUsageToStderr() {
    int exitCode = run("generate", "-m", "m", "--verbose", "hi");

    assertThat(exitCode).isZero();
    assertThat(err.toString())
        .contains("finish_reason=length")
        .contains("prompt_tokens=7")
        .contains("image_tokens=3")
        .contains("completion_tokens=" + FakeVlmServer.DELTAS.size());
  }

  @Test
  void serverErrorsPrintTheStatusAndExitWithTheirClassCode() {
    assertThat(run("generate", "-m", "fail-NOT_FOUND", "hi")).isEqualTo(ExitCodes.NOT_FOUND);
    assertThat(err.toString())
        .isEqualTo("error: NOT_FOUND: scripted failure for model fail-NOT_FOUND\n");
    assertThat(out.toString()).as("no output, not even a newline").isEmpty();

    assertThat(run("generate", "-m", "fail-INVALID_ARGUMENT", "hi")).isEqualTo(ExitCodes.REJECTED);
    assertThat(run("generate", "-m", "fail-RESOURCE_EXHAUSTED", "hi"))
        .isEqualTo(ExitCodes.UNAVAILABLE);
    assertThat(run("generate", "-m", "fail-INTERNAL", "hi")).isEqualTo(ExitCodes.SERVER_FAILURE);
    assertThat(run("--timeout", "50ms", "generate", "-m", FakeVlmServer.SLOW, "hi"))
        .isEqualTo(ExitCodes.TIMEOUT);
    assertThat(err.toString()).contains("error: DEADLINE_EXCEEDED");
  }

  @Test
  void anErrorMidStreamKeepsTheTextSoFarAndEndsTheLine() {
    int exitCode = run("generate", "-m", "partial-fail-UNAVAILABLE", "hi");

    assertThat(exitCode).isEqualTo(ExitCodes.UNAVAILABLE);
    assertThat(out.toString()).isEqualTo("Hel\n");
    assertThat(err.toString()).startsWith("error: UNAVAILABLE: scripted failure");
  }

  @Test
  void badCommandLinesAreUsageErrors(@TempDir Path dir) {
    assertThat(run("generate", "hi")).isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains("error: Missing required option: '--model=MODEL'");

    assertThat(run("generate", "-m", "m", "--top-p", "2", "hi")).isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains("error: sampling.top_p must be in (0, 1], got 2.0");

    assertThat(run("generate", "-m", "m", "-i", dir.resolve("nope.png").toString(), "hi"))
        .isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains("error: image file not found: ").contains("nope.png");

    assertThat(run("generate", "-m", "m", "--raw", "--system", "x", "hi"))
        .isEqualTo(ExitCodes.USAGE);
    assertThat(run("--timeout", "soon", "models")).isEqualTo(ExitCodes.USAGE);
    assertThat(run()).isEqualTo(ExitCodes.USAGE);
    assertThat(server.receivedNoCalls()).isTrue();
  }

  @Test
  void ctrlCCancelsTheStreamOnTheServerAndExitsWith130() throws Exception {
    CompletableFuture<Integer> exitCode =
        CompletableFuture.supplyAsync(() -> run("generate", "-m", FakeVlmServer.SLOW, "hi"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!out.toString().contains("tick") && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }

    interruptAction.get().run();

    assertThat(exitCode.get(5, TimeUnit.SECONDS)).isEqualTo(ExitCodes.CANCELLED);
    assertThat(server.awaitCancel()).isTrue();
    assertThat(out.toString()).startsWith("tick").endsWith("\n");
    assertThat(err.toString()).isEqualTo("error: CANCELLED: cancelled by the client\n");
    assertThat(interruptAction.get()).as("hook removed after the command").isNull();
  }

  @Test
  void modelsPrintsAnAlignedTable() {
    server.setModels(
        List.of(
            ModelInfo.newBuilder()
                .setName("broken")
                .setFamily("qwen2_vl")
                .setState(ModelState.MODEL_STATE_FAILED)
                .setError("missing onnx/decoder_model_merged.onnx\nsee the logs")
                .build(),
            ModelInfo.newBuilder()
                .setName("tiny-llava")
                .setFamily("llava")
                .setState(ModelState.MODEL_STATE_LOADED)
                .setReservedBytes(3L * 1024 * 1024 * 1024 / 2)
                .build()));

    int exitCode = run("models");

    assertThat(exitCode).isZero();
    assertThat(out.toString())
        .isEqualTo(
            """
            NAME        FAMILY    STATE   RESERVED  ERROR
            broken      qwen2_vl  FAILED  -         missing onnx/decoder_model_merged.onnx see the logs
            tiny-llava  llava     LOADED  1.5 GiB
            """);
  }

  @Test
  void modelShowsOneModelOrNotFound() {
    server.setModels(
        List.of(
            ModelInfo.newBuilder()
                .setName("tiny-llava")
                .setFamily("llava")
                .setState(ModelState.MODEL_STATE_AVAILABLE)
                .setSource("/models/tiny-llava")
                .setMaxContextTokens(4096)
                .setReservedBytes(2048)
                .build()));

    assertThat(run("model", "tiny-llava")).isZero();
    assertThat(out.toString())
        .isEqualTo(
            """
            name:        tiny-llava
            family:      llava
            state:       AVAILABLE
            reserved:    2.0 KiB (2048 bytes)
            max context: 4096 tokens
            source:      /models/tiny-llava
            last load:   never
            """);

    assertThat(run("model", "other")).isEqualTo(ExitCodes.NOT_FOUND);
    assertThat(err.toString()).isEqualTo("error: NOT_FOUND: no model named \"other\"\n");
  }

  @Test
  void pullLoadsTheModelShowingTheServersDownload() {
    server.setModels(
        List.of(
            ModelInfo.newBuilder()
                .setName("smolvlm")
                .setFamily("idefics3")
                .setState(ModelState.MODEL_STATE_LOADING)
                .setSource("hf:HuggingFaceTB/SmolVLM-256M-Instruct")
                .setDownloadDoneBytes(3L << 20)
                .setDownloadTotalBytes(12L << 20)
                .setDownloadFile("onnx/decoder_model_merged_q4.onnx")
                .build()));

    assertThat(run("pull", "smolvlm")).isZero();
    assertThat(err.toString())
        .startsWith("smolvlm: downloading 3.0 MiB of 12.0 MiB (onnx/decoder_model_merged_q4.onnx)\n");
    assertThat(out.toString()).contains("state:       LOADED\n").doesNotContain("download:");

    assertThat(run("pull", "other")).isEqualTo(ExitCodes.NOT_FOUND);
  }

  @Test
  void modelShowsTheDownloadOfAHubModelBeingPulled() {
    server.setModels(
        List.of(
            ModelInfo.newBuilder()
                .setName("smolvlm")
                .setState(ModelState.MODEL_STATE_LOADING)
                .setSource("hf:HuggingFaceTB/SmolVLM-256M-Instruct")
                .setDownloadDoneBytes(3L << 20)
                .setDownloadTotalBytes(12L << 20)
                .setDownloadFile("onnx/decoder_model_merged_q4.onnx")
                .build()));

    assertThat(run("model", "smolvlm")).isZero();
    assertThat(out.toString())
        .contains("source:      hf:HuggingFaceTB/SmolVLM-256M-Instruct\n")
        .contains("download:    3.0 MiB of 12.0 MiB (onnx/decoder_model_merged_q4.onnx)\n");
  }

  @Test
  void helpListsTheSubcommandsAndExitCodes() {
    assertThat(run("--help")).isZero();

    assertThat(out.toString())
        .contains("generate", "models", "model", "--target", "Exit codes:", "130");
  }

  @ParameterizedTest
  @ValueSource(strings = {"generate", "models", "model", "bench"})
  void everySubcommandTakesHelp(String command) {
    assertThat(run(command, "--help")).isZero();

    assertThat(out.toString()).startsWith("Usage: vlm " + command).contains("-h, --help");
  }

  @Test
  void modelsOverARealSocketUsesTheDefaultClientFactory() throws Exception {
    try (FakeVlmServer socketServer = FakeVlmServer.onLoopbackSocket()) {
      socketServer.setModels(List.of(ModelInfo.newBuilder().setName("solo").build()));
      var cli = new VlmCli(VlmClient::connect, action -> () -> {});

      int exitCode =
          cli.execute(
              new PrintWriter(out, true),
              new PrintWriter(err, true),
              "--target", "127.0.0.1:" + socketServer.port(), "models");

      assertThat(exitCode).isZero();
      assertThat(out.toString()).contains("solo");
    }
  }

  @Test
  void unreachableServerIsUnavailable() throws Exception {
    int freePort;
    try (var socket = new java.net.ServerSocket(0)) {
      freePort = socket.getLocalPort();
    }
    var cli = new VlmCli(VlmClient::connect, action -> () -> {});

    int exitCode =
        cli.execute(
            new PrintWriter(out, true),
            new PrintWriter(err, true),
            "--target", "127.0.0.1:" + freePort, "models");

    assertThat(exitCode).isEqualTo(ExitCodes.UNAVAILABLE);
    assertThat(err.toString()).startsWith("error: UNAVAILABLE");
  }

  @Test
  void unreadableDurationsAndSeedsAreRejected() {
    assertThat(new DurationConverter().convert("1.5m")).isEqualTo(java.time.Duration.ofSeconds(90));
    assertThat(new DurationConverter().convert("250ms")).isEqualTo(java.time.Duration.ofMillis(250));
    assertThat(new DurationConverter().convert("2")).isEqualTo(java.time.Duration.ofSeconds(2));
    assertThat(run("generate", "-m", "m", "--seed", "-1", "hi")).isEqualTo(ExitCodes.USAGE);
  }

  @Test
  void theApiKeyComesFromTheFlagOrElseTheEnvironment() {
    assertThat(runWithKeyInEnvironment(Optional.of("from-env"), "models")).isZero();
    assertThat(openedOptions.get().apiKey()).contains("from-env");
    assertThat(runWithKeyInEnvironment(Optional.of("from-env"), "--api-key", "from-flag", "models")).isZero();
    assertThat(openedOptions.get().apiKey()).contains("from-flag");
    assertThat(openedOptions.get().toString()).doesNotContain("from-flag");
    assertThat(run("models")).isZero();
    assertThat(openedOptions.get().apiKey()).isEmpty();
    assertThat(openedOptions.get().tls()).isEmpty();
  }

  @Test
  void tlsFlagsBecomeClientTls(@TempDir Path dir) throws Exception {
    Path ca = Files.writeString(dir.resolve("ca.pem"), "ca");
    Path cert = Files.writeString(dir.resolve("c.pem"), "cert");
    Path key = Files.writeString(dir.resolve("k.pem"), "key");
    assertThat(run("--tls", "models")).isZero();
    assertThat(openedOptions.get().tls().orElseThrow().caCertificate()).isEmpty();
    assertThat(run("--ca-cert", ca.toString(), "--cert", cert.toString(), "--key", key.toString(), "models")).isZero();
    assertThat(openedOptions.get().tls().orElseThrow().caCertificate()).contains(ca);
    assertThat(openedOptions.get().tls().orElseThrow().certificate()).contains(cert);
    assertThat(openedOptions.get().tls().orElseThrow().privateKey()).contains(key);

    assertThat(run("--cert", cert.toString(), "models")).isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains("--cert and --key go together");
    assertThat(run("--ca-cert", dir.resolve("missing.pem").toString(), "models")).isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains("missing.pem");
  }

  @Test
  void keysHashMakesAKeyAndPrintsOnlyItsHashToStdout() {
    assertThat(run("keys", "hash", "--tenant", "team-a", "--role", "admin")).isZero();
    String key = err.toString().substring(err.toString().lastIndexOf(' ') + 1).strip();
    assertThat(key).startsWith("vlm_").hasSizeGreaterThan(40);
    assertThat(out.toString()).isEqualTo(
        "- key_sha256: " + ApiKeys.sha256Hex(key) + "\n  tenant: team-a\n  role: admin\n");
    assertThat(out.toString()).doesNotContain(key);
    // Known answer: SHA-256 of "test".
    assertThat(ApiKeys.sha256Hex("test")).isEqualTo("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    assertThat(run("keys", "hash", "--tenant", "t", "--role", "root")).isEqualTo(ExitCodes.USAGE);
  }
}
