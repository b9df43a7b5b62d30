package dev.vlm.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vlm.server.TestData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir Path dir;

  @Test
  void noArgumentsGiveTheDefaults() {
    ServerConfig config = run();
    assertThat(config.port()).isEqualTo(50051);
    assertThat(config.models()).isEmpty();
    assertThat(config.runtime().device()).isEqualTo(Device.CPU);
    assertThat(config.shutdownGrace()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void flagsSetModelsPortAndRuntime() {
    ServerConfig config = run("--model", "a=/models/a", "--model", "b=/models/b", "--port", "6000",
        "--intra-op-threads", "3", "--max-image-bytes", "1MiB", "--shutdown-grace", "5s");
    assertThat(config.models()).extracting(ModelSpec::name).containsExactly("a", "b");
    assertThat(config.models().get(1).directory()).isEqualTo(Path.of("/models/b"));
    assertThat(config.port()).isEqualTo(6000);
    assertThat(config.runtime().intraOpThreads()).isEqualTo(3);
    assertThat(config.limits().maxImageBytes()).isEqualTo(1 << 20);
    assertThat(config.shutdownGrace()).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void fileIsReadAndFlagsOverrideIt() throws Exception {
    Path file = dir.resolve("server.yaml");
    Files.writeString(file, """
        port: 7000
        device: cpu
        shutdown_grace: 2m
        limits:
          max_image_pixels: 1000
          default_max_new_tokens: 64
        models:
          - name: a
            path: models/a
            family: llava
          - name: b
            path: /abs/b
        """);
    ServerConfig config = run("--config", file.toString(), "--port", "7001", "--model", "b=/other/b");
    assertThat(config.port()).isEqualTo(7001);
    assertThat(config.shutdownGrace()).isEqualTo(Duration.ofMinutes(2));
    assertThat(config.limits().maxImagePixels()).isEqualTo(1000);
    assertThat(config.limits().defaultMaxNewTokens()).isEqualTo(64);
    assertThat(config.models()).hasSize(2);
    ModelSpec a = config.models().get(0);
    assertThat(a.directory()).isEqualTo(dir.resolve("models/a"));
    assertThat(a.family()).contains("llava");
    assertThat(config.models().get(1).directory()).isEqualTo(Path.of("/other/b"));
  }

  @Test
  void aFamilyDescriptionFileIsFoundRelativeToTheConfigFile() throws Exception {
    Path file = dir.resolve("families.yaml");
    Files.writeString(file, """
        models:
          - name: mine
            path: /m/mine
            family: families/mine.json
          - name: named
            path: /m/named
            family: idefics3
        """);
    ServerConfig config = run("--config", file.toString());
    assertThat(config.models().get(0).family()).contains(dir.resolve("families/mine.json").toString());
    assertThat(config.models().get(1).family()).contains("idefics3");
  }

  @Test
  void residencyKeysAndPerModelSettingsAreRead() throws Exception {
    Path file = dir.resolve("residency.yaml");
    Files.writeString(file, """
        residency:
          memory_budget: 8GiB
          load_failure_backoff: 5s
          eviction_wait: 2s
        models:
          - name: big
            path: /m/big
            max_context_tokens: 4096
            max_running_sequences: 4
            kv_budget: 512MiB
            device: cuda
            pinned: true
          - name: small
            path: /m/small
        """);
    ServerConfig config = run("--config", file.toString());
    assertThat(config.residency().memoryBudgetBytes()).isEqualTo(8L << 30);
    assertThat(config.residency().loadFailureBackoff()).isEqualTo(Duration.ofSeconds(5));
    assertThat(config.residency().evictionWait()).isEqualTo(Duration.ofSeconds(2));
    ModelSpec big = config.models().get(0);
    assertThat(big.maxContextTokens()).isEqualTo(4096);
    assertThat(big.maxRunningSequences()).isEqualTo(4);
    assertThat(big.kvBudgetBytes()).isEqualTo(512L << 20);
    assertThat(big.device()).contains(Device.CUDA);
    assertThat(big.pinned()).isTrue();
    ModelSpec small = config.models().get(1);
    assertThat(small.pinned()).isFalse();
    assertThat(small.device()).isEmpty();
    assertThat(small.kvBudgetBytes()).isZero();
  }

  @Test
  void aChatTemplateFileIsResolvedAgainstTheConfigFile() throws Exception {
    Path file = dir.resolve("templates.yaml");
    Files.writeString(file, """
        models:
          - name: blip2
            path: /m/blip2
            chat_template: templates/blip2-opt.jinja
          - name: own
            path: /m/own
        """);
    ServerConfig config = run("--config", file.toString());
    assertThat(config.models().get(0).chatTemplate()).contains(dir.resolve("templates/blip2-opt.jinja"));
    assertThat(config.models().get(1).chatTemplate()).isEmpty();
  }

  @Test
  void memoryBudgetFlagTakesUnitsAndOverridesTheFile() throws Exception {
    Path file = dir.resolve("budget.yaml");
    Files.writeString(file, "residency:\n  memory_budget: 1GiB\n");
    assertThat(run("--config", file.toString(), "--memory-budget", "512MiB").residency().memoryBudgetBytes())
        .isEqualTo(512L << 20);
    assertThat(run("--memory-budget", "1000000").residency().memoryBudgetBytes()).isEqualTo(1_000_000);
    assertThat(run().residency().memoryBudgetBytes()).as("0 = measured at start-up").isZero();
    assertThatThrownBy(() -> run("--memory-budget", "lots")).hasMessageContaining("lots");
  }

  @Test
  void httpPortRemoteImagesAndLogFormatComeFromTheFileOrFlags() throws Exception {
    assertThat(run().http().port()).isEqualTo(HttpSettings.DEFAULT_PORT);
    assertThat(run().http().remoteImages().enabled()).isFalse();
    assertThat(run().logFormat()).isEqualTo(LogFormat.TEXT);
    Path file = dir.resolve("http.yaml");
    Files.writeString(file, "http_port: 8080\nlog_format: json\nhttp:\n  remote_images:\n    enabled: true\n"
        + "    allowed_hosts: [Images.Example.com]\n    max_bytes: 1MiB\n    timeout: 2s\n");
    ServerConfig fromFile = run("--config", file.toString());
    assertThat(fromFile.http().port()).isEqualTo(8080);
    assertThat(fromFile.logFormat()).isEqualTo(LogFormat.JSON);
    assertThat(fromFile.http().remoteImages())
        .isEqualTo(new RemoteImageSettings(true, List.of("images.example.com"), 1L << 20, Duration.ofSeconds(2)));
    ServerConfig flagged = run("--config", file.toString(), "--http-port", "-1", "--log-format", "text");
    assertThat(flagged.http().port()).isEqualTo(-1);
    assertThat(flagged.logFormat()).isEqualTo(LogFormat.TEXT);
    assertThatThrownBy(() -> run("--log-format", "xml")).hasMessageContaining("xml");
    assertThatThrownBy(() -> run("--http-port", "-2")).hasMessageContaining("http port");
    Files.writeString(file, "http:\n  remote_images:\n    enabled: true\n");
    assertThatThrownBy(() -> run("--config", file.toString())).hasMessageContaining("allowed_hosts");
    Files.writeString(file, "http:\n  remote_image: {}\n");
    assertThatThrownBy(() -> run("--config", file.toString())).hasMessageContaining("http.remote_image");
  }

  @Test
  void theExampleConfigIsValid() throws Exception {
    // Its secured part names files under /etc/vlm; the same files here stand in for them.
    String text = Files.readString(TestData.fromRepo("deploy/server.example.yaml")).replace("/etc/vlm/", dir + "/");
    for (String file : List.of("tls/server.pem", "tls/server-key.pem", "tls/clients-ca.pem", "keys.yaml")) {
      Files.createDirectories(dir.resolve(file).getParent());
      Files.writeString(dir.resolve(file), "");
    }
    Path example = dir.resolve("server.example.yaml");
    Files.writeString(example, text);
    ServerConfig config = run("--config", example.toString());
    assertThat(config.http().port()).isEqualTo(HttpSettings.DEFAULT_PORT);
    assertThat(config.http().remoteImages().enabled()).isFalse();
    assertThat(config.tls()).isPresent();
    assertThat(config.auth()).isPresent();
    assertThat(config.models().getFirst().weights().toString()).isEqualTo("q4");
  }

  @Test
  void badResidencyValuesAreNamed() throws Exception {
    Path file = dir.resolve("bad-residency.yaml");
    Files.writeString(file, "residency:\n  budget: 1GiB\n");
    assertThatThrownBy(() -> run("--config", file.toString())).hasMessageContaining("residency.budget");
    Files.writeString(file, "models:\n  - name: a\n    path: /a\n    pinned: sometimes\n");
    assertThatThrownBy(() -> run("--config", file.toString())).hasMessageContaining("pinned");
    Files.writeString(file, "models:\n  - name: a\n    path: /a\n    max_running_sequences: -1\n");
    assertThatThrownBy(() -> run("--config", file.toString())).hasMessageContaining(">= 0");
  }

  @Test
  void unknownKeysAndBadValuesAreNamed() throws Exception {
    Path file = dir.resolve("bad.yaml");
    Files.writeString(file, "prot: 1\n");
    assertThatThrownBy(() -> run("--config", file.toString())).hasMessageContaining("prot");
    assertThatThrownBy(() -> run("--model", "nodir")).hasMessageContaining("NAME=DIR");
    assertThatThrownBy(() -> run("--device", "tpu")).hasMessageContaining("tpu");
    assertThatThrownBy(() -> run("--port", "70000")).hasMessageContaining("port");
    assertThatThrownBy(() -> run("--max-image-bytes", "lots")).hasMessageContaining("lots");
    assertThatThrownBy(() -> run("--model", "a=/x", "--model", "a=/y")).hasMessageContaining("twice");
    assertThatThrownBy(() -> run("--config", writeDuplicateModels())).hasMessageContaining("twice");
    assertThatThrownBy(() -> run("--bogus")).hasMessageContaining("--bogus");
  }

  @Test
  void staticBatchingComesFromTheFileOrTheFlag() throws Exception {
    assertThat(run().batching().staticBatching()).isFalse();
    Path file = dir.resolve("static.yaml");
    Files.writeString(file, "batching:\n  max_running_sequences: 8\n  static_batching: true\n");
    BatchingSettings fromFile = run("--config", file.toString()).batching();
    assertThat(fromFile.staticBatching()).isTrue();
    assertThat(fromFile.maxRunningSequences()).isEqualTo(8);
    BatchingSettings fromFlag = run("--static-batching", "--max-running-sequences", "4").batching();
    assertThat(fromFlag.staticBatching()).isTrue();
    assertThat(fromFlag.maxRunningSequences()).isEqualTo(4);
    Files.writeString(file, "batching:\n  static_batching: 1\n");
    assertThatThrownBy(() -> run("--config", file.toString())).hasMessageContaining("static_batching");
  }

  @Test
  void helpExitsWithoutConfig() {
    assertThat(ConfigLoader.load(new String[] {"--help"})).isEqualTo(new ConfigLoader.Outcome.Exit(0));
  }

  @Test
  void helpPrintsEveryDescriptionWithoutPicocliWarnings() {
    // An unescaped '%' in a description is a format error: picocli then prints "[picocli WARN]"
    // lines on stderr and drops that description from the help.
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream printedOut = new ByteArrayOutputStream();
    ByteArrayOutputStream printedErr = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(printedOut, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(printedErr, true, StandardCharsets.UTF_8));
      ConfigLoader.load(new String[] {"--help"});
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
    assertThat(printedErr.toString(StandardCharsets.UTF_8)).doesNotContain("picocli");
    assertThat(printedOut.toString(StandardCharsets.UTF_8)).contains("75% of RAM less the Java heap");
  }

  @Test
  void sizesTakeUnits() {
    assertThat(ByteSize.parse("512")).isEqualTo(512);
    assertThat(ByteSize.parse("64KiB")).isEqualTo(64 * 1024);
    assertThat(ByteSize.parse("2GB")).isEqualTo(2_000_000_000L);
    assertThat(ByteSize.parse("1.5GiB")).isEqualTo(3L << 29);
  }

  private String writeDuplicateModels() throws Exception {
    Path file = dir.resolve("dup.yaml");
    Files.writeString(file, "models:\n  - name: c\n    path: /c\n  - name: c\n    path: /d\n");
    return file.toString();
  }

  private static ServerConfig run(String... args) {
    return ((ConfigLoader.Outcome.Run) ConfigLoader.load(args)).config();
  }
}
