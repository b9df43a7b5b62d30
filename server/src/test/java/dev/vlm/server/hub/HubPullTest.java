package dev.vlm.server.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vlm.server.TestData;
import dev.vlm.server.config.HubSettings;
import dev.vlm.server.config.ModelSource;
import dev.vlm.server.model.WeightType;
import dev.vlm.server.model.WeightTypes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ModelPuller} against {@link FakeHub}: the cache it writes, dtype selection, faults. */
class HubPullTest {
  private static final String REPO = "test-org/tiny-llava-onnx";
  private static final String DECODER_DATA = "onnx/decoder_model_merged.onnx_data";

  @TempDir Path cache;
  private FakeHub hub;
  private String commit;

  @BeforeEach
  void start() throws IOException {
    hub = FakeHub.start();
    // The fixture ships all eight weight types side by side, as real exports do, plus a file the
    // server never opens.
    commit = hub.addRepo(REPO, TestData.tinyLlava(), Map.of("README.md", bytes("# tiny")));
  }

  @AfterEach
  void stop() {
    hub.close();
  }

  @Test
  void pullWritesTheHuggingFaceCacheLayoutWithOnlyTheChosenFiles() throws Exception {
    Path dir = puller().pull(source(), WeightTypes.fp32(), PullListener.NONE);

    Path repoDir = cache.resolve("models--test-org--tiny-llava-onnx");
    assertThat(dir).isEqualTo(repoDir.resolve("snapshots").resolve(commit));
    assertThat(Files.readString(repoDir.resolve("refs/main"))).isEqualTo(commit);
    assertThat(FakeHub.filesUnder(dir)).containsExactlyInAnyOrder(
        "config.json", "generation_config.json", "preprocessor_config.json", "processor_config.json",
        "tokenizer.json", "tokenizer_config.json", "onnx/vision_encoder.onnx", "onnx/embed_tokens.onnx",
        "onnx/decoder_model_merged.onnx", DECODER_DATA);
    // Large files are blobs named by sha256, small ones by git blob sha1; links are relative.
    Path data = dir.resolve(DECODER_DATA);
    assertThat(Files.isSymbolicLink(data)).isTrue();
    assertThat(Files.readSymbolicLink(data).toString())
        .isEqualTo("../../../blobs/" + sha256(TestData.tinyLlava().resolve(DECODER_DATA)));
    Path config = dir.resolve("config.json");
    assertThat(Files.readSymbolicLink(config).toString())
        .isEqualTo("../../blobs/" + gitSha1(TestData.tinyLlava().resolve("config.json")));
    assertThat(Files.mismatch(data, TestData.tinyLlava().resolve(DECODER_DATA))).isEqualTo(-1);
    try (Stream<Path> blobs = Files.list(repoDir.resolve("blobs"))) {
      assertThat(blobs.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".incomplete")).hasSize(10);
    }
    // The token is never sent when there is none; the big file came from the storage host.
    assertThat(hub.requests()).allMatch(r -> r.authorization().isEmpty());
    assertThat(hub.requests()).anyMatch(r -> r.method().equals("GET") && r.path().startsWith("/storage/"));
  }

  @Test
  void aSecondPullReusesTheCachedBlobs() {
    puller().pull(source(), WeightTypes.fp32(), PullListener.NONE);
    hub.clearLog();

    puller().pull(source(), WeightTypes.fp32(), PullListener.NONE);

    assertThat(hub.requests()).noneMatch(r -> r.method().equals("GET") && !r.path().startsWith("/api/"));
  }

  @Test
  void aDtypePullsOnlyItsGraphsAndTheModelsFindsThemOffline() {
    Path dir = puller().pull(source(), WeightTypes.uniform(WeightType.Q4), PullListener.NONE);

    assertThat(FakeHub.filesUnder(dir).stream().filter(f -> f.startsWith("onnx/"))).containsExactlyInAnyOrder(
        "onnx/vision_encoder_q4.onnx", "onnx/embed_tokens_q4.onnx",
        "onnx/decoder_model_merged_q4.onnx", "onnx/decoder_model_merged_q4.onnx_data");
    HubModels models = new HubModels(settings());
    assertThat(models.cached(source(), WeightTypes.uniform(WeightType.Q4))).contains(dir);
    assertThat(models.cached(source(), WeightTypes.fp32())).isEmpty();
  }

  @Test
  void aPerGraphChoicePullsEachGraphInItsType() {
    Path dir = puller().pull(source(), WeightTypes.parse("vision_encoder:fp16,decoder_model_merged:q4f16"),
        PullListener.NONE);

    assertThat(FakeHub.filesUnder(dir).stream().filter(f -> f.startsWith("onnx/"))).containsExactlyInAnyOrder(
        "onnx/vision_encoder_fp16.onnx", "onnx/embed_tokens.onnx",
        "onnx/decoder_model_merged_q4f16.onnx", "onnx/decoder_model_merged_q4f16.onnx_data");
  }

  @Test
  void aMissingDtypeListsTheDtypesTheRepositoryHas() throws IOException {
    Map<String, byte[]> twoTypes = new java.util.TreeMap<>();
    for (String file : FakeHub.filesUnder(TestData.tinyLlava())) {
      if (!file.startsWith("onnx/") || file.matches("onnx/(vision_encoder|embed_tokens|decoder_model_merged)(_q4)?\\.onnx(_data)?")) {
        twoTypes.put(file, Files.readAllBytes(TestData.tinyLlava().resolve(file)));
      }
    }
    hub.addRepo("test-org/two-dtypes", null, twoTypes);

    assertThatThrownBy(() -> puller().pull(ModelSource.Hub.parse("test-org/two-dtypes"),
        WeightTypes.uniform(WeightType.Q8), PullListener.NONE))
        .isInstanceOf(HubException.class)
        .hasMessageContaining("onnx/vision_encoder_quantized.onnx")
        .hasMessageContaining("dtypes it has: fp32, q4");
  }

  @Test
  void aDroppedConnectionIsResumedWithARangeRequest() throws IOException {
    hub.dropConnection(DECODER_DATA, 100_000, 1);

    Path dir = puller().pull(source(), WeightTypes.fp32(), PullListener.NONE);

    assertThat(Files.mismatch(dir.resolve(DECODER_DATA), TestData.tinyLlava().resolve(DECODER_DATA)))
        .isEqualTo(-1L);
    assertThat(resumedAt()).isBetween(1L, 100_000L);
  }

  @Test
  void anInterruptedTransferFailsNamingTheFileAndTheNextPullResumes() throws Exception {
    hub.dropConnection(DECODER_DATA, 100_000, BlobFetcher.ATTEMPTS);

    assertThatThrownBy(() -> puller().pull(source(), WeightTypes.fp32(), PullListener.NONE))
        .isInstanceOf(HubException.class)
        .hasMessageMatching(DECODER_DATA.replace(".", "\\.") + ": transfer interrupted after \\d+ of 491520 bytes .*")
        .hasMessageContaining("run pull again to resume");
    Path snapshot = cache.resolve("models--test-org--tiny-llava-onnx/snapshots").resolve(commit);
    assertThat(snapshot.resolve(DECODER_DATA)).doesNotExist();
    assertThat(cache.resolve("models--test-org--tiny-llava-onnx/refs/main")).doesNotExist();
    assertThat(new HubModels(settings()).cached(source(), WeightTypes.fp32())).isEmpty();

    hub.clearFaults();
    hub.clearLog();
    Path dir = puller().pull(source(), WeightTypes.fp32(), PullListener.NONE);

    // What reached the disk before the drops (bytes in flight are lost with the connection).
    assertThat(resumedAt()).isBetween(1L, 300_000L);
    assertThat(Files.mismatch(dir.resolve(DECODER_DATA), TestData.tinyLlava().resolve(DECODER_DATA))).isEqualTo(-1L);
  }

  @Test
  void aChecksumMismatchDiscardsTheDownload() throws Exception {
    hub.corrupt(DECODER_DATA);

    assertThatThrownBy(() -> puller().pull(source(), WeightTypes.fp32(), PullListener.NONE))
        .isInstanceOf(HubException.class)
        .hasMessageStartingWith(DECODER_DATA + ": checksum mismatch (expected sha256 ")
        .hasMessageContaining("discarded");
    try (Stream<Path> blobs = Files.list(cache.resolve("models--test-org--tiny-llava-onnx/blobs"))) {
      String sha = sha256(TestData.tinyLlava().resolve(DECODER_DATA));
      assertThat(blobs.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(sha));
    }
  }

  @Test
  void aCorruptSmallFileFailsItsGitBlobHash() {
    hub.corrupt("tokenizer.json");

    assertThatThrownBy(() -> puller().pull(source(), WeightTypes.fp32(), PullListener.NONE))
        .hasMessageStartingWith("tokenizer.json: checksum mismatch (expected git blob sha1 ");
  }

  @Test
  void aGatedRepositoryNeedsTheTokenWhichNeverLeavesTheHub() {
    hub.gate(REPO, "secret");

    assertThatThrownBy(() -> puller().pull(source(), WeightTypes.fp32(), PullListener.NONE))
        .isInstanceOf(HubException.class)
        .hasMessageContaining(REPO + " is gated (401)")
        .hasMessageContaining("no token was sent; set HF_TOKEN");

    hub.clearLog();
    HubSettings withToken = new HubSettings(cache, hub.endpoint(), Optional.of("secret"));
    new ModelPuller(withToken).pull(source(), WeightTypes.fp32(), PullListener.NONE);

    assertThat(hub.requests()).filteredOn(r -> !r.path().startsWith("/storage/"))
        .isNotEmpty().allMatch(r -> r.authorization().equals(Optional.of("Bearer secret")));
    assertThat(hub.requests()).filteredOn(r -> r.path().startsWith("/storage/"))
        .isNotEmpty().allMatch(r -> r.authorization().isEmpty());
  }

  @Test
  void unknownRepositoryAndRevisionAreNamed() {
    assertThatThrownBy(() -> puller().pull(ModelSource.Hub.parse("test-org/nope"), WeightTypes.fp32(), PullListener.NONE))
        .hasMessage("repository test-org/nope or its revision 'main' not found on " + hub.endpoint() + " (404)");
    assertThatThrownBy(() -> puller().pull(ModelSource.Hub.parse(REPO + "@v9"), WeightTypes.fp32(), PullListener.NONE))
        .hasMessage("revision 'v9' not found in " + REPO + " (404)");
  }

  @Test
  void aFullDiskIsReportedBeforeTheFirstByte() {
    ModelPuller small = new ModelPuller(settings(), dir -> 1000);

    assertThatThrownBy(() -> small.pull(source(), WeightTypes.fp32(), PullListener.NONE))
        .hasMessageContaining("disk full: the files need ")
        .hasMessageContaining(" has 1000 free");
    assertThat(hub.requests()).noneMatch(r -> r.method().equals("GET") && !r.path().startsWith("/api/"));
  }

  @Test
  void aCommitRevisionAndASubfolderResolve() throws IOException {
    Path repo = cache.resolve("src");
    Files.createDirectories(repo);
    String sub = hub.addRepo("test-org/nested", null, Map.of(
        "README.md", bytes("x"),
        "export/config.json", Files.readAllBytes(TestData.tinyLlava().resolve("config.json")),
        "export/onnx/vision_encoder.onnx", bytes("v"),
        "export/onnx/embed_tokens.onnx", bytes("e"),
        "export/onnx/decoder_model_merged.onnx", bytes("d")));

    ModelSource.Hub source = ModelSource.Hub.parse("test-org/nested@" + sub + "/export");
    Path dir = puller().pull(source, WeightTypes.fp32(), PullListener.NONE);

    assertThat(dir).isEqualTo(cache.resolve("models--test-org--nested/snapshots").resolve(sub).resolve("export"));
    assertThat(FakeHub.filesUnder(dir)).containsExactlyInAnyOrder(
        "config.json", "onnx/vision_encoder.onnx", "onnx/embed_tokens.onnx", "onnx/decoder_model_merged.onnx");
    // A commit needs no ref; it is found offline as itself.
    assertThat(cache.resolve("models--test-org--nested/refs")).doesNotExist();
    assertThat(new HubModels(settings()).cached(source, WeightTypes.fp32())).contains(dir);
    assertThatThrownBy(() -> puller().pull(ModelSource.Hub.parse("test-org/nested@" + sub), WeightTypes.fp32(),
        PullListener.NONE)).hasMessageContaining("use hf:ORG/REPO/SUBFOLDER");
  }

  /** The offset of the last {@code Range} request. */
  private long resumedAt() {
    return hub.requests().stream()
        .flatMap(r -> r.range().stream())
        .map(range -> Long.parseLong(range.substring("bytes=".length(), range.length() - 1)))
        .reduce((a, b) -> b)
        .orElse(-1L);
  }

  private ModelPuller puller() {
    return new ModelPuller(settings());
  }

  private HubSettings settings() {
    return new HubSettings(cache, hub.endpoint(), Optional.empty());
  }

  private static ModelSource.Hub source() {
    return ModelSource.Hub.parse(REPO);
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  static String sha256(Path file) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }

  static String gitSha1(Path file) throws Exception {
    byte[] bytes = Files.readAllBytes(file);
    MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
    sha1.update(("blob " + bytes.length + "\0").getBytes(StandardCharsets.US_ASCII));
    return HexFormat.of().formatHex(sha1.digest(bytes));
  }
}
