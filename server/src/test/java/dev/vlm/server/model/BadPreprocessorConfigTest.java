package dev.vlm.server.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every family refuses an image preprocessor config it cannot use with a load error that names
 * the file and the model directory, and says why; a missing one is named as missing.
 */
class BadPreprocessorConfigTest {
  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"llava", "idefics3", "idefics2", "blip-2", "qwen2_vl", "lfm2_vl"})
  void anInvalidPreprocessorConfigFailsTheLoadNamingTheFile(String modelType) throws IOException {
    Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"" + modelType + "\"}");
    Files.writeString(dir.resolve("preprocessor_config.json"), "{\"image_mean\": [0.5, 0.5]}");

    assertThatThrownBy(() -> family(modelType).open(ModelDirectory.open(dir)))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageStartingWith("preprocessor_config.json in " + dir + ": ")
        .hasMessageContaining("image_mean");
  }

  @ParameterizedTest
  @ValueSource(strings = {"llava", "idefics3", "idefics2", "blip-2", "qwen2_vl", "lfm2_vl"})
  void aMissingPreprocessorConfigIsNamed(String modelType) throws IOException {
    Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"" + modelType + "\"}");

    assertThatThrownBy(() -> family(modelType).open(ModelDirectory.open(dir)))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("missing required file preprocessor_config.json");
    assertThat(family(modelType).requiredFiles()).contains("preprocessor_config.json", "tokenizer.json");
  }

  private static ModelFamily family(String modelType) {
    return ModelFamilies.builtIn().named(modelType.equals("blip-2") ? "blip2" : modelType);
  }
}
