package dev.vlm.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vlm.server.model.ModelGraph;
import dev.vlm.server.model.WeightType;
import dev.vlm.server.model.WeightTypes;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model's weight types come from {@code models[].dtype} or {@code --dtype}; bad names stop the server. */
class WeightTypeConfigTest {
  @TempDir Path dir;

  @Test
  void float32IsTheDefault() {
    assertThat(run("--model", "a=/m/a").models().getFirst().weights()).isEqualTo(WeightTypes.fp32());
  }

  @Test
  void theFileTakesOneDtypeOrOnePerGraph() throws Exception {
    Path file = dir.resolve("dtypes.yaml");
    Files.writeString(file, """
        models:
          - name: a
            path: /m/a
            dtype: q4
          - name: b
            path: /m/b
            dtype: {vision_encoder: fp16, embed_tokens: fp16, decoder_model_merged: q4f16}
          - name: c
            path: /m/c
            dtype: {decoder_model_merged: Q8}
        """);
    ServerConfig config = run("--config", file.toString());
    assertThat(config.models().get(0).weights()).isEqualTo(WeightTypes.uniform(WeightType.Q4));
    WeightTypes b = config.models().get(1).weights();
    assertThat(b.of(ModelGraph.VISION_ENCODER)).isEqualTo(WeightType.FP16);
    assertThat(b.fileOf(ModelGraph.DECODER)).isEqualTo("onnx/decoder_model_merged_q4f16.onnx");
    WeightTypes c = config.models().get(2).weights();
    assertThat(c.of(ModelGraph.EMBED_TOKENS)).as("graphs not named stay float32").isEqualTo(WeightType.FP32);
    assertThat(c.fileOf(ModelGraph.DECODER)).isEqualTo("onnx/decoder_model_merged_quantized.onnx");
  }

  @Test
  void theFlagSetsAModelFromTheFlagsOrTheFile() throws Exception {
    Path file = dir.resolve("one.yaml");
    Files.writeString(file, "models:\n  - name: filed\n    path: /m/f\n    dtype: fp16\n");
    ServerConfig config = run("--config", file.toString(), "--model", "a=/m/a", "--dtype", "a=uint8",
        "--dtype", "filed=vision_encoder:fp16,decoder_model_merged:q4");
    assertThat(config.models().get(1).weights()).isEqualTo(WeightTypes.uniform(WeightType.UINT8));
    assertThat(config.models().get(0).weights().toString())
        .isEqualTo("vision_encoder:fp16,embed_tokens:fp32,decoder_model_merged:q4");
  }

  @Test
  void anUnknownDtypeStopsTheServerListingTheValidOnes() throws Exception {
    assertThatThrownBy(() -> run("--model", "a=/m/a", "--dtype", "a=int4"))
        .hasMessageContaining("int4")
        .hasMessageContaining("fp32, fp16, q8, int8, uint8, q4, q4f16, bnb4");
    Path file = dir.resolve("bad.yaml");
    Files.writeString(file, "models:\n  - name: a\n    path: /m/a\n    dtype: fp8\n");
    assertThatThrownBy(() -> run("--config", file.toString()))
        .hasMessageContaining("models[0].dtype").hasMessageContaining("fp8").hasMessageContaining("q4f16");
    Files.writeString(file, "models:\n  - name: a\n    path: /m/a\n    dtype: {decoder: q4}\n");
    assertThatThrownBy(() -> run("--config", file.toString()))
        .hasMessageContaining("'decoder'").hasMessageContaining("decoder_model_merged");
    assertThatThrownBy(() -> run("--model", "a=/m/a", "--dtype", "b=q4")).hasMessageContaining("b names no configured model");
    assertThatThrownBy(() -> run("--model", "a=/m/a", "--dtype", "a")).hasMessageContaining("NAME=DTYPE");
  }

  private static ServerConfig run(String... args) {
    return ((ConfigLoader.Outcome.Run) ConfigLoader.load(args)).config();
  }
}
