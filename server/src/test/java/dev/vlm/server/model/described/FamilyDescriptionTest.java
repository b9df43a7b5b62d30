package dev.vlm.server.model.described;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vlm.server.TestData;
import dev.vlm.server.image.RgbImage;
import dev.vlm.server.model.FamilyModel;
import dev.vlm.server.model.ModelDirectory;
import dev.vlm.server.model.ModelFamilies;
import dev.vlm.server.model.ModelFamily;
import dev.vlm.server.model.ModelLoadException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Family descriptions are checked when read, each error naming the bad field; values read from a
 * model directory are checked when a model opens; and the shipped descriptions give the layouts
 * the Python processors make.
 */
class FamilyDescriptionTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path temp;

  static Stream<Arguments> badDescriptions() {
    return Stream.of(
        bad("no name", d -> d.remove("name"), "field 'name'"),
        bad("name with a space", d -> d.put("name", "my llava"), "field 'name'"),
        bad("unknown field", d -> d.put("image_size", 336), "unknown field 'image_size'"),
        bad("no model types", d -> d.putArray("model_types"), "field 'model_types'"),
        bad("zero images", d -> d.put("max_images", 0), "field 'max_images'"),
        bad("no processor", d -> d.remove("image_processor"), "field 'image_processor'"),
        bad("unknown processor kind", d -> d.putObject("image_processor").put("kind", "pixtral"),
            "field 'image_processor.kind' is 'pixtral'; known kinds: [clip, idefics2_splitting, idefics3_splitting]"),
        bad("settings not an object", d -> ((ObjectNode) d.get("image_processor")).put("settings", 3),
            "field 'image_processor.settings'"),
        bad("no image token", d -> d.remove("image_token"), "field 'image_token' is required"),
        bad("no token count", d -> d.remove("image_tokens"), "field 'image_tokens' is required"),
        bad("reference without a pointer", d -> d.putObject("image_tokens").putArray("from").add("config.json"),
            "field 'image_tokens.from'"),
        bad("reference out of the directory", d -> d.putObject("image_tokens").putArray("from").add("../x.json#/n"),
            "inside the model directory"),
        bad("default and patch grid", d -> ((ObjectNode) d.get("image_tokens")).put("default", 16),
            "both 'default' and 'patch_grid'"),
        bad("unknown patch grid key", d -> ((ObjectNode) d.get("image_tokens").get("patch_grid")).put("stride", 2),
            "field 'image_tokens.patch_grid' has unknown key 'stride'"),
        bad("tile without tokens", d -> d.putObject("layout").put("tile", "<row_{row}_col_{col}>"),
            "field 'layout.tile' must hold {tokens} exactly once"),
        bad("tokens twice", d -> d.putObject("layout").put("global", "{tokens}{tokens}"), "field 'layout.global'"),
        bad("unknown variable", d -> d.putObject("layout").put("single", "<img_{index}>{tokens}"),
            "field 'layout.single' uses {index}"),
        bad("tokens around an image", d -> d.putObject("layout").put("before", "{tokens}"),
            "field 'layout.before' uses {tokens}"),
        bad("unknown layout key", d -> d.putObject("layout").put("thumbnail", "{tokens}"),
            "field 'layout' has unknown key 'thumbnail'"),
        bad("bad regex", d -> d.putArray("prompt_rewrites").addObject().put("regex", "(").put("replacement", ""),
            "field 'prompt_rewrites[0].regex'"),
        bad("rewrite without replacement", d -> d.putArray("prompt_rewrites").addObject().put("regex", "x"),
            "field 'prompt_rewrites[0]'"),
        bad("mrope positions", d -> d.put("positions", "mrope"), "field 'positions' is 'mrope'", "qwen2_vl"),
        bad("unknown positions", d -> d.put("positions", "alibi"), "field 'positions' must be 'cache_index'"),
        bad("image_tokens_first as text", d -> d.put("image_tokens_first", "yes"), "field 'image_tokens_first'"),
        bad("required file outside", d -> d.putArray("required_files").add("/etc/hosts"), "field 'required_files'"));
  }

  private static Arguments bad(String name, Consumer<ObjectNode> change, String... mentions) {
    return Arguments.of(name, change, mentions);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badDescriptions")
  void aBadDescriptionIsRefusedNamingTheField(String name, Consumer<ObjectNode> change, String[] mentions)
      throws IOException {
    ObjectNode description = builtIn("llava");
    change.accept(description);
    Path file = write(description);

    assertThatThrownBy(() -> DescribedFamily.read(file))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageStartingWith("family description " + file + ": ")
        .hasMessageContainingAll(mentions);
  }

  @Test
  void aSettingTheDirectoryLacksFailsTheOpenNamingTheFieldAndReferences() throws IOException {
    ObjectNode description = builtIn("llava");
    description.putObject("image_tokens").putArray("from").add("processor_config.json#/num_queries");

    assertThatThrownBy(() -> open(description, "tiny-llava"))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContainingAll("family 'llava'", "field 'image_tokens'", "processor_config.json#/num_queries",
            "no default");
  }

  @Test
  void aMappedSettingOutsideItsTableIsNamed() throws IOException {
    Path dir = TestData.copyOfTinyLlava(temp, "strategy");
    Path config = dir.resolve("config.json");
    Files.writeString(config, Files.readString(config).replace("\"default\"", "\"cls_only\""));

    assertThatThrownBy(() -> ModelFamilies.builtIn().named("llava").open(ModelDirectory.open(dir)))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContainingAll("field 'image_tokens.patch_grid.plus'", "\"cls_only\"", "[default, full]");
  }

  @Test
  void aRewriteThatBreaksTheImageTokenRunsIsRefusedAtOpen() throws IOException {
    ObjectNode description = builtIn("llava");
    description.putArray("prompt_rewrites").addObject().put("regex", "<image><image>").put("replacement", "<image>");

    assertThatThrownBy(() -> open(description, "tiny-llava"))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("field 'prompt_rewrites[0]' changes the runs of image placeholders '<image>'");
  }

  @Test
  void layoutTextHoldingThePlaceholderIsRefusedAtOpen() throws IOException {
    ObjectNode description = builtIn("llava");
    description.putObject("layout").put("before", "<image>");

    assertThatThrownBy(() -> open(description, "tiny-llava"))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("field 'layout': its text holds the image placeholder '<image>' outside {tokens}");
  }

  @Test
  void processorSettingsAreLaidOverThePreprocessorConfig() throws IOException {
    ObjectNode description = builtIn("llava");
    ((ObjectNode) description.get("image_processor")).putObject("settings").put("do_center_crop", "no");

    assertThatThrownBy(() -> open(description, "tiny-llava"))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContainingAll("preprocessor_config.json", "do_center_crop", "a boolean");
  }

  @Test
  void aPatchGridThatDoesNotDivideTheFrameIsNamed() throws IOException {
    ObjectNode description = builtIn("llava");
    ((ObjectNode) description.get("image_tokens").get("patch_grid")).put("patch_size", 5);

    assertThatThrownBy(() -> open(description, "tiny-llava"))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContainingAll("field 'image_tokens.patch_grid'", "32x32", "5 pixels");
  }

  @Test
  void theShippedDescriptionsGiveEachFamilysLayout() {
    ModelFamilies families = ModelFamilies.builtIn();
    RgbImage wide = new RgbImage(200, 100, new byte[200 * 100 * 3]);

    FamilyModel llava = families.named("llava").open(fixture("tiny-llava"));
    assertThat(llava.prepare(wide).promptText()).isEqualTo("<image>".repeat(16));
    assertThat(llava.maxImagesPerRequest()).isEqualTo(4);

    FamilyModel idefics3 = families.named("idefics3").open(fixture("tiny-idefics3"));
    String text = idefics3.prepare(wide).promptText();
    String frame = "<image>".repeat(16); // image_seq_len
    assertThat(text).isEqualTo("<fake_token_around_image><row_1_col_1>" + frame + "<fake_token_around_image><row_1_col_2>"
        + frame + "\n\n<fake_token_around_image><global-img>" + frame + "<fake_token_around_image>");

    FamilyModel blip2 = families.named("blip2").open(fixture("tiny-blip2"));
    assertThat(blip2.maxImagesPerRequest()).isEqualTo(1);
    assertThat(blip2.finishIds(new int[] {1, 766, 5, 766})).containsExactly(766, 766, 1, 5);
    assertThat(llava.finishIds(new int[] {1, 766, 5})).containsExactly(1, 766, 5);
  }

  @Test
  void aDirectoryDescriptionServesItsModelTypeAndMayBeNamedInstead() throws IOException {
    Path dir = TestData.copyOfTinyLlava(temp, "renamed");
    ObjectNode description = builtIn("llava");
    description.put("name", "my-llava").putArray("model_types").add("my_llava");
    Files.writeString(dir.resolve(DescribedFamily.FILE_NAME), description.toString());
    Path config = dir.resolve("config.json");
    Files.writeString(config, Files.readString(config).replace("\"model_type\": \"llava\"", "\"model_type\": \"my_llava\""));
    ModelDirectory opened = ModelDirectory.open(dir);

    ModelFamily own = ModelFamilies.builtIn().select(opened, java.util.Optional.empty());
    assertThat(own.name()).isEqualTo("my-llava");
    assertThat(ModelFamilies.builtIn().select(opened, java.util.Optional.of("llava")).name()).isEqualTo("llava");
    assertThat(own.open(opened).prepare(new RgbImage(40, 30, new byte[40 * 30 * 3])).inputTokens()).containsExactly(16);
  }

  private FamilyModel open(ObjectNode description, String fixture) throws IOException {
    return DescribedFamily.read(write(description)).open(fixture(fixture));
  }

  private static ModelDirectory fixture(String name) {
    return ModelDirectory.open(TestData.root().resolve("models").resolve(name));
  }

  private Path write(JsonNode description) throws IOException {
    Path file = Files.createTempFile(temp, "family", ".json");
    Files.writeString(file, description.toString());
    return file;
  }

  static ObjectNode builtIn(String name) {
    try (InputStream in = FamilyDescriptionTest.class.getClassLoader().getResourceAsStream("families/" + name + ".json")) {
      return (ObjectNode) JSON.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
