package dev.vlm.client.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BenchSpecTest {
  private static final Path BASE = Path.of("/specs");

  @Test
  void parsesEveryFieldAndResolvesImagesAgainstTheSpecFolder() {
    BenchSpec spec =
        BenchSpec.parse(
            """
            {"classes": [
              {"name": "photo", "weight": 3, "images": ["cat.png", "/abs/dog.png"],
               "prompt": {"words": 64}, "output": {"min": 16, "max": 256}},
              {"images": "none", "prompt": "Hello", "output": 128,
               "ignore_eos": false, "temperature": 0.7}
            ]}
            """,
            BASE);

    RequestClass photo = spec.classes().get(0);
    assertThat(photo.name()).isEqualTo("photo");
    assertThat(photo.weight()).isEqualTo(3.0);
    assertThat(photo.images()).containsExactly(BASE.resolve("cat.png"), Path.of("/abs/dog.png"));
    assertThat(photo.prompt()).isEqualTo(new PromptSource.Words(64));
    assertThat(photo.output()).isEqualTo(new OutputLength(16, 256));
    assertThat(photo.ignoreEos()).isTrue();
    assertThat(photo.temperature()).isZero();
    RequestClass text = spec.classes().get(1);
    assertThat(text.name()).isEqualTo("class-1");
    assertThat(text.weight()).isEqualTo(1.0);
    assertThat(text.images()).isEmpty();
    assertThat(text.prompt()).isEqualTo(new PromptSource.Text("Hello"));
    assertThat(text.output()).isEqualTo(OutputLength.fixed(128));
    assertThat(text.ignoreEos()).isFalse();
    assertThat(text.temperature()).isEqualTo(0.7f);
  }

  @Test
  void readsAFileAndResolvesImagesNextToIt(@TempDir Path folder) throws Exception {
    Path file = folder.resolve("mix.json");
    Files.writeString(file, "[{\"images\": [\"a.png\"], \"prompt\": \"x\", \"output\": 1}]");

    BenchSpec spec = BenchSpec.read(file);

    assertThat(spec.classes().getFirst().images()).containsExactly(folder.resolve("a.png"));
  }

  @Test
  void aMissingFileIsAClearError(@TempDir Path folder) {
    assertThatThrownBy(() -> BenchSpec.read(folder.resolve("nope.json")))
        .isInstanceOf(BenchSpecException.class)
        .hasMessageContaining("cannot read spec file")
        .hasMessageContaining("nope.json");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          [{"prompt": "x", "output": {"min": 0, "max": 4}}]              | classes[0].output.min
          [{"prompt": "x", "output": {"min": 9, "max": 4}}]              | classes[0].output.max
          [{"prompt": "x", "output": {"min": 2}}]                        | classes[0].output
          [{"prompt": "x", "output": 0}]                                 | classes[0].output
          [{"prompt": "x", "output": "many"}]                            | classes[0].output
          [{"prompt": "x", "output": 2.5}]                               | classes[0].output
          [{"prompt": "x"}]                                              | classes[0].output
          [{"prompt": "x", "output": 1}, {"output": 1}]                  | classes[1].prompt
          [{"prompt": {"words": 0}, "output": 1}]                        | classes[0].prompt.words
          [{"prompt": {"words": 3, "text": "y"}, "output": 1}]           | classes[0].prompt
          [{"prompt": "  ", "output": 1}]                                | classes[0].prompt.text
          [{"prompt": "x", "output": 1, "weight": -1}]                   | classes[0].weight
          [{"prompt": "x", "output": 1, "weight": "heavy"}]              | classes[0].weight
          [{"prompt": "x", "output": 1, "temperature": -0.5}]            | classes[0].temperature
          [{"prompt": "x", "output": 1, "ignore_eos": "yes"}]            | classes[0].ignore_eos
          [{"prompt": "x", "output": 1, "images": "cat.png"}]            | classes[0].images
          [{"prompt": "x", "output": 1, "images": [3]}]                  | classes[0].images[0]
          [{"prompt": "x", "outptu": 1}]                                 | classes[0].outptu
          {"clases": []}                                                 | spec.clases
          []                                                             | classes
          [7]                                                            | classes[0]
          "just text"                                                    | classes
          [{"prompt": "x",                                               | not valid JSON
          """)
  void aBadSpecIsRejectedNamingTheField(String json, String field) {
    assertThatThrownBy(() -> BenchSpec.parse(json, BASE))
        .isInstanceOf(BenchSpecException.class)
        .hasMessageContaining(field);
  }

  @Test
  void generatedPromptsHaveTheWordCountAndFollowTheSeed() {
    PromptSource words = new PromptSource.Words(40);

    String first = words.produce(new SplittableRandom(1));
    String again = words.produce(new SplittableRandom(1));
    String other = words.produce(new SplittableRandom(2));

    assertThat(first.split(" ")).hasSize(40);
    assertThat(again).isEqualTo(first);
    assertThat(other).isNotEqualTo(first);
  }

  @Test
  void outputLengthsStayInTheirRange() {
    OutputLength range = new OutputLength(16, 20);
    SplittableRandom random = new SplittableRandom(9);

    List<Integer> drawn =
        java.util.stream.IntStream.range(0, 500).mapToObj(i -> range.draw(random)).toList();

    assertThat(drawn).allSatisfy(n -> assertThat(n).isBetween(16, 20));
    assertThat(drawn).contains(16, 20);
  }

  @Test
  void theDefaultSpecMixesOutputLengthsWithOptionalImage() {
    BenchSpec textOnly = BenchSpec.defaultSpec(Optional.empty());
    BenchSpec withImage = BenchSpec.defaultSpec(Optional.of(Path.of("cat.png")));

    assertThat(textOnly.classes()).singleElement()
        .satisfies(c -> {
          assertThat(c.output()).isEqualTo(new OutputLength(16, 256));
          assertThat(c.images()).isEmpty();
          assertThat(c.ignoreEos()).isTrue();
        });
    assertThat(withImage.classes().getFirst().images()).containsExactly(Path.of("cat.png"));
  }

  @Test
  void anUnreadableImageIsReportedWithItsPath(@TempDir Path folder) {
    BenchSpec spec = BenchSpec.defaultSpec(Optional.of(folder.resolve("missing.png")));

    assertThatThrownBy(() -> new RequestSampler(spec, "m", 0))
        .isInstanceOf(BenchSpecException.class)
        .hasMessageContaining("missing.png");
  }
}
