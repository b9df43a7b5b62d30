package dev.vlm.server.serving;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vlm.server.TestData;
import dev.vlm.server.config.BatchingSettings;
import dev.vlm.server.config.Device;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.model.ModelGraph;
import dev.vlm.server.model.WeightType;
import dev.vlm.server.model.WeightTypes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A snapshot holding every variant reserves only the files the chosen weight types open. */
class ResidentSizeTest {
  @TempDir Path model;

  @Test
  void countsOnlyTheSelectedGraphsAndTheirExternalData() throws IOException {
    int size = 1;
    for (ModelGraph graph : ModelGraph.values()) {
      for (WeightType type : WeightType.values()) {
        // Every file has its own size, so a sum that counted another file would be off.
        write(type.fileName(graph.stem()), size);
        write(type.fileName(graph.stem()) + "_data", 1000L * size);
        size += 3;
      }
    }
    write("onnx/decoder_model_merged_q4.onnx_data_1", 7);

    long fp32 = ResidentSize.weightBytes(model, WeightTypes.fp32(), Device.CPU);
    assertThat(fp32).isEqualTo(sum(WeightType.FP32, ModelGraph.values()));
    long q4 = ResidentSize.weightBytes(model, WeightTypes.uniform(WeightType.Q4), Device.CPU);
    assertThat(q4).isEqualTo(sum(WeightType.Q4, ModelGraph.values()) + 7);
    long mixed = ResidentSize.weightBytes(model, WeightTypes.perGraph(Map.of(ModelGraph.DECODER, WeightType.Q4)), Device.CPU);
    assertThat(mixed).isEqualTo(sum(WeightType.FP32, ModelGraph.VISION_ENCODER, ModelGraph.EMBED_TOKENS)
        + sum(WeightType.Q4, ModelGraph.DECODER) + 7);
  }

  @Test
  void float16WeightsCountTwiceOnACpuWhereTheyAreWidened() throws IOException {
    write(WeightType.FP16.fileName("vision_encoder"), 10);
    write(WeightType.FP16.fileName("embed_tokens"), 20);
    write(WeightType.FP16.fileName("decoder_model_merged"), 30);
    write(WeightType.FP16.fileName("decoder_model_merged") + "_data", 400);
    WeightTypes fp16 = WeightTypes.uniform(WeightType.FP16);

    assertThat(ResidentSize.weightBytes(model, fp16, Device.CUDA)).isEqualTo(460);
    assertThat(ResidentSize.weightBytes(model, fp16, Device.CPU)).isEqualTo(920);
  }

  @Test
  void kosmosTextConfigNamesCountLikeTheUsualOnes() throws IOException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode config = (ObjectNode) json.readTree(TestData.root().resolve("models/tiny-kosmos2.5/config.json").toFile());
    json.writeValue(model.resolve("config.json").toFile(), config);
    long kosmos = ResidentSize.estimatedKvAndActivationBytes(
        new ModelSpec("k", model, Optional.empty()), BatchingSettings.defaults());
    ObjectNode text = (ObjectNode) config.get("text_config");
    text.set("num_hidden_layers", text.remove("layers"));
    text.set("num_attention_heads", text.remove("attention_heads"));
    text.set("hidden_size", text.remove("embed_dim"));
    json.writeValue(model.resolve("config.json").toFile(), config);
    long renamed = ResidentSize.estimatedKvAndActivationBytes(
        new ModelSpec("k", model, Optional.empty()), BatchingSettings.defaults());

    assertThat(kosmos).isEqualTo(renamed);
    // 2 layers x 4 heads x 16 dims x 2 (key, value) x 4 bytes per position, for some positions
    assertThat(kosmos).isGreaterThan(512L * 2 * 4 * 16 * 2 * 4);
  }

  private long sum(WeightType type, ModelGraph... graphs) throws IOException {
    long total = 0;
    for (ModelGraph graph : graphs) {
      total += Files.size(model.resolve(type.fileName(graph.stem())));
      total += Files.size(model.resolve(type.fileName(graph.stem()) + "_data"));
    }
    return total;
  }

  private void write(String relative, long bytes) throws IOException {
    Path file = model.resolve(relative);
    Files.createDirectories(file.getParent());
    Files.write(file, new byte[(int) bytes]);
  }
}
