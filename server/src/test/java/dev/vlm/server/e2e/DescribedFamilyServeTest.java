package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vlm.api.v1.ListModelsRequest;
import dev.vlm.api.v1.LoadModelRequest;
import dev.vlm.api.v1.ModelInfo;
import dev.vlm.api.v1.ModelState;
import dev.vlm.api.v1.ModelsGrpc;
import dev.vlm.server.TestData;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.ServerConfig;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A family an operator adds without recompiling: the tiny LLaVA fixture, its {@code model_type}
 * renamed to one no built-in family serves, with a {@code vlm_family.json} beside it describing a
 * family of another name. It serves the transformers.js goldens' tokens over gRPC, unary and
 * streamed, and is listed under the described family's name. Directories whose descriptions are
 * invalid are listed FAILED with the file and the bad field named, while the others serve.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DescribedFamilyServeTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String MODEL = "own-family";

  @TempDir static Path temp;
  private RunningServer server;

  @BeforeAll
  void start() throws IOException, InterruptedException {
    Path own = renamedLlava("own-family", description());
    Path unknownKind = renamedLlava("unknown-kind", description().set("image_processor",
        JSON.createObjectNode().put("kind", "pixtral")));
    ObjectNode noTokensInTile = description();
    noTokensInTile.putObject("layout").put("tile", "<row_{row}_col_{col}>");
    Path badLayout = renamedLlava("bad-layout", noTokensInTile);
    Path builtInName = renamedLlava("built-in-name", description().put("name", "llava"));
    ObjectNode absentSetting = description();
    absentSetting.putObject("image_tokens").putArray("from").add("config.json#/vision_config/num_queries");
    Path missingSetting = renamedLlava("missing-setting", absentSetting);
    Path otherType = renamedLlava("other-type", description().set("model_types", JSON.createArrayNode().add("llava")));
    Path notJson = renamedLlava("not-json", description());
    Files.writeString(notJson.resolve("vlm_family.json"), "{\"name\": ");
    // A description the model's config names, kept outside the model directory.
    Path fromConfig = renamedLlava("from-config", description());
    Files.delete(fromConfig.resolve("vlm_family.json"));
    Path configured = temp.resolve("configured-family.json");
    JSON.writeValue(configured.toFile(), description().put("name", "configured-llava"));

    List<ModelSpec> specs = new java.util.ArrayList<>(Stream.of(own, unknownKind, badLayout, builtInName,
            missingSetting, otherType, notJson)
        .map(dir -> new ModelSpec(dir.getFileName().toString(), dir, Optional.empty()))
        .toList());
    specs.add(new ModelSpec("from-config", fromConfig, Optional.of(configured.toString())));
    specs.add(new ModelSpec("missing-file", fromConfig, Optional.of(temp.resolve("absent.json").toString())));
    server = RunningServer.start(ServerConfig.of(0, specs));
    var models = ModelsGrpc.newBlockingStub(server.channel);
    for (String name : List.of(MODEL, "missing-setting", "from-config")) {
      try {
        models.loadModel(LoadModelRequest.newBuilder().setName(name).build());
      } catch (StatusRuntimeException e) {
        // missing-setting fails to open; its state is checked below
      }
      LongRequests.awaitModel(server.server, name,
          m -> m.state() != dev.vlm.server.serving.ModelState.LOADING
              && m.state() != dev.vlm.server.serving.ModelState.AVAILABLE, Duration.ofSeconds(30));
    }
  }

  @AfterAll
  void stop() throws InterruptedException {
    server.close();
  }

  Stream<Goldens.Case> cases() {
    return Goldens.load("tiny-llava.json", MODEL).stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void servesTheGoldenTokensUnary(Goldens.Case golden) {
    GoldenAssertions.assertUnaryMatches(server.channel, golden);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void servesTheGoldenTokensStreamed(Goldens.Case golden) {
    GoldenAssertions.assertStreamMatches(server.channel, golden);
  }

  @Test
  void isListedUnderTheDescribedFamilysName() {
    assertThat(models().get(MODEL)).satisfies(m -> {
      assertThat(m.getState()).isEqualTo(ModelState.MODEL_STATE_LOADED);
      assertThat(m.getFamily()).isEqualTo("my-llava");
    });
  }

  @Test
  void aDescriptionFileNamedByTheModelsConfigServesToo() {
    GoldenAssertions.assertUnaryMatches(server.channel, Goldens.load("tiny-llava.json", "from-config").getFirst());
    assertThat(models().get("from-config").getFamily()).isEqualTo("configured-llava");
    assertFailed(models().get("missing-file"), "absent.json", "does not exist");
  }

  @Test
  void invalidDescriptionsFailTheirModelNamingTheFileAndField() {
    Map<String, ModelInfo> models = models();
    assertFailed(models.get("unknown-kind"), "unknown-kind/vlm_family.json", "field 'image_processor.kind'", "pixtral",
        "clip");
    assertFailed(models.get("bad-layout"), "bad-layout/vlm_family.json", "field 'layout.tile'", "{tokens}");
    assertFailed(models.get("built-in-name"), "built-in-name/vlm_family.json", "field 'name'", "llava");
    assertFailed(models.get("missing-setting"), "family 'my-llava'", "missing-setting", "field 'image_tokens'",
        "config.json#/vision_config/num_queries");
    assertFailed(models.get("other-type"), "other-type/vlm_family.json", "model_type is 'my_llava'");
    assertFailed(models.get("not-json"), "not-json/vlm_family.json", "not valid JSON");
  }

  private Map<String, ModelInfo> models() {
    return ModelsGrpc.newBlockingStub(server.channel).listModels(ListModelsRequest.getDefaultInstance())
        .getModelsList().stream().collect(Collectors.toMap(ModelInfo::getName, m -> m));
  }

  private static void assertFailed(ModelInfo model, String... mentions) {
    assertThat(model.getState()).isEqualTo(ModelState.MODEL_STATE_FAILED);
    assertThat(model.getError()).contains(mentions);
  }

  /** The built-in LLaVA description, renamed to a family that serves only {@code my_llava}. */
  private static ObjectNode description() throws IOException {
    try (InputStream in = DescribedFamilyServeTest.class.getClassLoader().getResourceAsStream("families/llava.json")) {
      ObjectNode llava = (ObjectNode) JSON.readTree(in);
      llava.put("name", "my-llava");
      llava.set("model_types", JSON.createArrayNode().add("my_llava"));
      return llava;
    }
  }

  /** A copy of tiny LLaVA whose model_type no built-in family serves, with this description. */
  private static Path renamedLlava(String name, ObjectNode description) throws IOException {
    Path dir = TestData.copyOfTinyLlava(temp, name);
    Path config = dir.resolve("config.json");
    Files.writeString(config, Files.readString(config).replace("\"model_type\": \"llava\"", "\"model_type\": \"my_llava\""));
    JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("vlm_family.json").toFile(), description);
    return dir;
  }
}
