package dev.vlm.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vlm.server.model.WeightType;
import dev.vlm.server.model.WeightTypes;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hf:} sources, the Hugging Face environment, {@code pull} and {@code allow_download}. */
class HubConfigTest {
  @TempDir Path dir;

  @Test
  void hubSourcesParseWithRevisionAndSubfolder() {
    assertThat(ModelSource.Hub.parse("onnx-community/SmolVLM-256M-Instruct"))
        .isEqualTo(new ModelSource.Hub("onnx-community/SmolVLM-256M-Instruct", "main", ""));
    ModelSource.Hub full = ModelSource.Hub.parse("org/repo@refs%2Fpr%2F3/exports/cpu");
    assertThat(full).isEqualTo(new ModelSource.Hub("org/repo", "refs/pr/3", "exports/cpu"));
    assertThat(full.toString()).isEqualTo("hf:org/repo@refs%2Fpr%2F3/exports/cpu");
    assertThat(ModelSource.Hub.parse("org/repo@0123456789abcdef0123456789abcdef01234567").pinnedToCommit()).isTrue();
  }

  @Test
  void malformedHubSourcesAreRejectedWithTheGrammar() {
    assertThatThrownBy(() -> ModelSpec.parseFlag("x=hf:justarepo@v1"))
        .hasMessageContaining("hf:ORG/REPO[@REVISION][/SUBFOLDER]");
    assertThatThrownBy(() -> ModelSpec.parseFlag("x=hf:org/re po")).hasMessageContaining("not a Hub repository id");
    assertThatThrownBy(() -> ModelSpec.parseFlag("x=hf:org/repo/../etc")).hasMessageContaining("not a folder");
  }

  @Test
  void flagsAndTheFileAcceptHubSources() throws Exception {
    Path file = dir.resolve("server.yaml");
    Files.writeString(file, """
        residency:
          allow_download: true
        models:
          - name: a
            path: hf:onnx-community/Qwen2-VL-2B-Instruct@main
            dtype: q4
          - name: b
            path: models/b
        """);
    ServerConfig config = run("--config", file.toString(), "--model", "c=hf:org/repo@v2");

    assertThat(config.residency().allowDownload()).isTrue();
    assertThat(config.models().get(0).source()).isEqualTo(new ModelSource.Hub("onnx-community/Qwen2-VL-2B-Instruct", "main", ""));
    assertThat(config.models().get(0).weights()).isEqualTo(WeightTypes.uniform(WeightType.Q4));
    assertThat(config.models().get(1).directory()).isEqualTo(dir.resolve("models/b"));
    assertThat(config.models().get(2).source()).isEqualTo(new ModelSource.Hub("org/repo", "v2", ""));
    assertThatThrownBy(() -> config.models().get(2).directory()).hasMessageContaining("hf:org/repo@v2");
    assertThat(run().residency().allowDownload()).isFalse();
  }

  @Test
  void theCacheFollowsHuggingFaceHubPrecedence() {
    Path home = Path.of("/home/u");
    assertThat(hub(Map.of(), home).cacheDir()).isEqualTo(Path.of("/home/u/.cache/huggingface/hub"));
    assertThat(hub(Map.of("XDG_CACHE_HOME", "/xdg"), home).cacheDir()).isEqualTo(Path.of("/xdg/huggingface/hub"));
    assertThat(hub(Map.of("HF_HOME", "/hf"), home).cacheDir()).isEqualTo(Path.of("/hf/hub"));
    assertThat(hub(Map.of("HF_HOME", "/hf", "HF_HUB_CACHE", "/cache"), home).cacheDir()).isEqualTo(Path.of("/cache"));
    assertThat(hub(Map.of(), home).endpoint()).isEqualTo(URI.create("https://huggingface.co"));
    assertThat(hub(Map.of("HF_ENDPOINT", "http://mirror:8080/"), home).endpoint()).isEqualTo(URI.create("http://mirror:8080"));
    assertThatThrownBy(() -> hub(Map.of("HF_ENDPOINT", "mirror"), home)).hasMessageContaining("HF_ENDPOINT");
  }

  @Test
  void theTokenComesFromHfTokenOrTheTokenFile() throws Exception {
    assertThat(hub(Map.of("HF_HOME", dir.toString()), dir).token()).isEmpty();
    Files.writeString(dir.resolve("token"), "hf_file\n");
    assertThat(hub(Map.of("HF_HOME", dir.toString()), dir).token()).contains("hf_file");
    assertThat(hub(Map.of("HF_HOME", dir.toString(), "HF_TOKEN", "hf_env"), dir).token()).contains("hf_env");
    Path other = Files.writeString(dir.resolve("other"), "hf_other");
    assertThat(hub(Map.of("HF_HOME", dir.toString(), "HF_TOKEN_PATH", other.toString()), dir).token())
        .contains("hf_other");
    assertThat(hub(Map.of("HF_TOKEN", "hf_env"), dir).toString()).doesNotContain("hf_env");
  }

  @Test
  void pullReadsTheRepositoryRevisionAndDtype() {
    var outcome = (ConfigLoader.Outcome.Pull) ConfigLoader.load(
        new String[] {"pull", "org/repo/sub", "--revision", "v2", "--dtype", "vision_encoder:fp16,decoder_model_merged:q4"},
        Map.of("HF_HUB_CACHE", dir.toString(), "HF_ENDPOINT", "http://127.0.0.1:1"), dir);

    assertThat(outcome.source()).isEqualTo(new ModelSource.Hub("org/repo", "v2", "sub"));
    assertThat(outcome.weights()).isEqualTo(WeightTypes.parse("vision_encoder:fp16,decoder_model_merged:q4"));
    assertThat(outcome.hub()).isEqualTo(new HubSettings(dir, URI.create("http://127.0.0.1:1"), Optional.empty()));
    var plain = (ConfigLoader.Outcome.Pull) ConfigLoader.load(new String[] {"pull", "hf:org/repo"}, Map.of(), dir);
    assertThat(plain.weights()).isEqualTo(WeightTypes.fp32());
    assertThatThrownBy(() -> ConfigLoader.load(new String[] {"pull", "org/repo", "--dtype", "q5"}, Map.of(), dir))
        .hasMessageContaining("valid dtypes: fp32, fp16");
  }

  @Test
  void theServerConfigCarriesTheEnvironmentsHubSettings() {
    var run = (ConfigLoader.Outcome.Run) ConfigLoader.load(new String[0], Map.of("HF_HUB_CACHE", dir.toString()), dir);
    assertThat(run.config().hub().cacheDir()).isEqualTo(dir);
  }

  private static HubSettings hub(Map<String, String> env, Path home) {
    return HubEnvironment.read(env, home);
  }

  private static ServerConfig run(String... args) {
    return ((ConfigLoader.Outcome.Run) ConfigLoader.load(args)).config();
  }
}
