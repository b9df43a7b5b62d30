package dev.vlm.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Any language can use the server: the Python example (client/python), with stubs generated
 * from the same .proto files, reproduces the golden tokens over the stream and the unary call.
 *
 * <p>Needs /usr/bin/python3 with grpcio, protoc and grpc_python_plugin. Without them the class
 * is skipped, except when CI is "true": CI installs them, so there their absence fails.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PythonClientE2ETest {
  private static final String PYTHON = "/usr/bin/python3";
  private static final String APT_PACKAGES = "python3-grpcio protobuf-compiler protobuf-compiler-grpc";
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final Pattern SUMMARY =
      Pattern.compile("finish_reason=(\\S+) completion_tokens=(\\d+) token_ids=([0-9,]*)");

  @TempDir static Path stubs;

  private Path repo;
  private TinyLlavaServer server;
  private Goldens.Case golden;
  /** Why the tests cannot run here; empty when they can. */
  private Optional<String> missingTools;

  @BeforeAll
  void start() throws Exception {
    repo = TestData.repoRoot();
    missingTools = missingTools();
    if (missingTools.isPresent()) {
      if ("true".equals(System.getenv("CI"))) {
        Assertions.fail(missingTools.get() + "; CI installs them, so their absence is a failure there");
      }
      return;
    }
    Subprocess.Result generated = run(List.of("bash", "client/python/gen_stubs.sh", stubs.toString()));
    assertThat(generated.exitCode()).as("gen_stubs.sh: %s", generated.describe()).isZero();
    server = TinyLlavaServer.start();
    golden = Goldens.named(Goldens.tinyLlava(TinyLlavaServer.MODEL), "gradient_what");
  }

  @BeforeEach
  void skipWithoutTools() {
    // Per test rather than in @BeforeAll, so that reports count the tests as skipped, with the reason.
    Assumptions.assumeTrue(missingTools.isEmpty(), missingTools::orElseThrow);
  }

  @AfterAll
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void streamReproducesTheGoldenTokens() throws Exception {
    assertReproducesGolden(example());
  }

  @Test
  void unaryReproducesTheGoldenTokens() throws Exception {
    assertReproducesGolden(example("--unary"));
  }

  @Test
  void anApiKeyFromTheEnvironmentAndMutualTlsReachASecuredServer(@TempDir Path dir) throws Exception {
    try (SecuredTinyLlava secured = new SecuredTinyLlava(dir)) {
      List<String> command = new ArrayList<>(List.of(
          PYTHON, "client/python/vlm_example.py", "--stubs", stubs.toString(), "--model", TinyLlavaServer.MODEL,
          "--max-tokens", "2", "--raw"));
      command.addAll(secured.tlsFlags());
      command.add("Hi");
      Subprocess.Result result = Subprocess.run(command, repo, TIMEOUT, env -> {
        pythonEnvironment(env);
        env.put("VLM_API_KEY", secured.apiKey);
      });
      assertThat(result.exitCode()).as(result.describe()).isZero();
      assertThat(result.stdout().lines().toList().getLast()).startsWith("finish_reason=length completion_tokens=2 ");

      Subprocess.Result refused = Subprocess.run(command, repo, TIMEOUT, env -> {
        pythonEnvironment(env);
        env.remove("VLM_API_KEY");
      });
      assertThat(refused.exitCode()).as(refused.describe()).isEqualTo(7);
      assertThat(refused.stderr()).contains("UNAUTHENTICATED");
    }
  }

  private Subprocess.Result example(String... extra) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(
        PYTHON, "client/python/vlm_example.py", "--stubs", stubs.toString(),
        "--target", server.target(), "--model", TinyLlavaServer.MODEL,
        "--image", "testdata/images/gradient_32.png", "--max-tokens", "24"));
    command.addAll(Arrays.asList(extra));
    command.add("What is in this image?");
    return run(command);
  }

  private void assertReproducesGolden(Subprocess.Result result) {
    assertThat(result.exitCode()).as(result.describe()).isZero();
    List<String> lines = result.stdout().lines().toList();
    Matcher summary = SUMMARY.matcher(lines.getLast());
    assertThat(summary.matches()).as("last line of %s", result.describe()).isTrue();
    List<Integer> ids = Arrays.stream(summary.group(3).split(",")).filter(s -> !s.isEmpty()).map(Integer::valueOf).toList();

    assertThat(ids).isEqualTo(golden.tokenIds());
    assertThat(summary.group(1)).isEqualTo("length");
    assertThat(Integer.parseInt(summary.group(2))).isEqualTo(golden.tokenIds().size());
    assertThat(String.join("\n", lines.subList(0, lines.size() - 1))).isEqualTo(golden.text());
    assertThat(result.stderr()).contains("health: SERVING").contains("tiny-llava (llava) LOADED");
  }

  private Subprocess.Result run(List<String> command) throws IOException, InterruptedException {
    return Subprocess.run(command, repo, TIMEOUT, PythonClientE2ETest::pythonEnvironment);
  }

  private static void pythonEnvironment(Map<String, String> env) {
    env.put("PYTHONIOENCODING", "utf-8");
    env.put("PYTHONDONTWRITEBYTECODE", "1");
    // Python's gRPC honours proxy variables even for loopback; the server is right here.
    for (String proxy : List.of("http_proxy", "https_proxy", "grpc_proxy", "HTTP_PROXY", "HTTPS_PROXY")) {
      env.remove(proxy);
    }
  }

  /** Names what is missing of python3 with grpc, protoc and grpc_python_plugin, if anything. */
  private Optional<String> missingTools() throws IOException, InterruptedException {
    List<String> missing = new ArrayList<>();
    if (!Files.isExecutable(Path.of(PYTHON))) {
      missing.add(PYTHON);
    } else if (run(List.of(PYTHON, "-c", "import grpc")).exitCode() != 0) {
      missing.add("the grpc module for " + PYTHON);
    }
    for (String tool : List.of("protoc", "grpc_python_plugin")) {
      if (run(List.of("bash", "-c", "command -v " + tool)).exitCode() != 0) {
        missing.add(tool);
      }
    }
    return missing.isEmpty()
        ? Optional.empty()
        : Optional.of("the Python client test needs " + String.join(", ", missing)
            + " (apt-get install " + APT_PACKAGES + ")");
  }
}
