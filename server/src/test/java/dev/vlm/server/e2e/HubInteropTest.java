package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.server.TestData;
import dev.vlm.server.config.HubSettings;
import dev.vlm.server.config.ModelSource;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.ServerConfig;
import dev.vlm.server.hub.FakeHub;
import dev.vlm.server.hub.HubModels;
import dev.vlm.server.hub.ModelPuller;
import dev.vlm.server.hub.PullListener;
import dev.vlm.server.model.WeightTypes;
import dev.vlm.server.serving.ModelState;
import dev.vlm.server.serving.ModelStatus;
import java.io.IOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server and Python's {@code huggingface_hub} share one cache: what the server pulls,
 * {@code scan_cache_dir} finds intact and {@code hf_hub_download(local_files_only=True)} returns;
 * what {@code huggingface_hub} downloaded (from the same fake Hub), the server serves without
 * fetching anything.
 *
 * <p>Needs a Python with huggingface_hub: the system property {@code vlm.hub.python} (Maven sets
 * it from {@code VLM_HUB_PYTHON}; .ci/run installs .ci/requirements-hub.txt into .ci-venv and
 * points it there), else {@code python3} on the PATH. Without one the tests are skipped, except
 * when CI is "true", where that is a failure.
 */
class HubInteropTest {
  private static final String REPO = "test-org/tiny-llava";
  private static Optional<String> python;
  private static String whyNot;

  @TempDir Path cache;
  private FakeHub hub;

  @BeforeAll
  static void findPython() {
    String configured = System.getProperty("vlm.hub.python", "");
    List<String> candidates = configured.isBlank() || configured.startsWith("${")
        ? List.of("python3") : List.of(configured);
    python = candidates.stream().filter(HubInteropTest::hasHuggingFaceHub).findFirst();
    whyNot = "no Python with huggingface_hub (tried " + candidates
        + "); set VLM_HUB_PYTHON, or pip install -r .ci/requirements-hub.txt";
    if (python.isEmpty() && "true".equals(System.getenv("CI"))) {
      Assertions.fail(whyNot + "; CI installs it, so its absence is a failure there");
    }
  }

  @BeforeEach
  void start() throws IOException {
    Assumptions.assumeTrue(python.isPresent(), whyNot);
    hub = FakeHub.start();
    hub.addRepo(REPO, TestData.tinyLlava(), Map.of("README.md", "# tiny".getBytes(StandardCharsets.UTF_8)));
  }

  @AfterEach
  void stop() {
    if (hub != null) {
      hub.close();
    }
  }

  @Test
  void huggingFaceHubReadsTheCacheTheServerWrote() throws Exception {
    HubSettings settings = new HubSettings(cache, hub.endpoint(), Optional.empty());
    Path dir = new ModelPuller(settings).pull(ModelSource.Hub.parse(REPO), WeightTypes.fp32(), PullListener.NONE);
    List<String> files = FakeHub.filesUnder(dir);

    List<String> args = new ArrayList<>(List.of(script("read_cache.py"), cache.toString(), REPO, "main"));
    args.addAll(files);
    JsonNode result = new ObjectMapper().readTree(runPython(args, Map.of("HF_HUB_OFFLINE", "1")));

    assertThat(result.get("warnings")).as("scan_cache_dir warnings").isEmpty();
    assertThat(result.get("repos").toString()).isEqualTo("[\"" + REPO + "\"]");
    JsonNode revision = result.get("revisions").get(0);
    assertThat(revision.get("commit").asText()).isEqualTo(dir.getFileName().toString());
    assertThat(revision.get("refs").toString()).isEqualTo("[\"main\"]");
    assertThat(revision.get("files")).extracting(JsonNode::asText).containsExactlyInAnyOrderElementsOf(files);
    for (String file : files) {
      Path returned = Path.of(result.get("downloads").get(file).asText());
      assertThat(returned).isEqualTo(dir.resolve(file));
      assertThat(Files.mismatch(returned, TestData.tinyLlava().resolve(file))).as(file).isEqualTo(-1L);
    }
  }

  @Test
  void theServerServesWhatHuggingFaceHubDownloadedWithoutFetching() throws Exception {
    List<String> files = new ArrayList<>(List.of("config.json"));
    files.addAll(FakeHub.filesUnder(TestData.tinyLlava()).stream().filter(f -> !f.equals("config.json")).toList());
    List<String> args = new ArrayList<>(List.of(script("download.py"), REPO));
    args.addAll(files);
    String snapshot = runPython(args, Map.of("HF_HUB_CACHE", cache.toString(), "HF_ENDPOINT", hub.endpoint().toString()))
        .strip();
    hub.clearLog();

    ServerConfig config = ServerConfig.of(0, List.of(new ModelSpec("tiny-llava", ModelSource.Hub.parse(REPO), Optional.empty())))
        .withHub(new HubSettings(cache, hub.endpoint(), Optional.empty()));
    try (RunningServer server = RunningServer.start(config)) {
      ModelStatus status = server.server.models().get(0);
      assertThat(status.state()).as(status.error()).isEqualTo(ModelState.AVAILABLE);
      Goldens.Case golden = Goldens.load("tiny-llava.json", "tiny-llava").get(0);
      assertThat(InferenceGrpc.newBlockingStub(server.channel).generate(golden.request()).getTokenIdsList())
          .isEqualTo(golden.tokenIds());
    }
    assertThat(new HubModels(config.hub()).cached(ModelSource.Hub.parse(REPO), WeightTypes.fp32()))
        .contains(Path.of(snapshot));
    assertThat(hub.requests()).isEmpty();
  }

  private static boolean hasHuggingFaceHub(String exe) {
    try {
      Process p = new ProcessBuilder(exe, "-c", "import huggingface_hub").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private String script(String name) throws IOException {
    URL url = HubInteropTest.class.getResource("/hub/" + name);
    Path copy = cache.resolveSibling(cache.getFileName() + "-" + name);
    try (var in = url.openStream()) {
      Files.write(copy, in.readAllBytes());
    }
    return copy.toString();
  }

  /** Runs the script; returns its standard output, failing the test with its output on error. */
  private static String runPython(List<String> args, Map<String, String> env) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(python.orElseThrow());
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().keySet().removeIf(k -> k.startsWith("HF_"));
    builder.environment().putAll(env);
    builder.environment().put("HF_HUB_DISABLE_TELEMETRY", "1");
    Path err = Files.createTempFile("hub-python", ".err");
    builder.redirectError(err.toFile());
    Process process = builder.start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
    String stderr = Files.readString(err);
    Files.delete(err);
    assertThat(process.exitValue()).as("python %s failed:%n%s%s", args.get(0), out, stderr).isZero();
    return out;
  }
}
