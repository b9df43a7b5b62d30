package dev.vlm.server.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vlm.server.TestData;
import dev.vlm.server.config.RuntimeSettings;
import dev.vlm.server.model.ModelDirectory;
import dev.vlm.server.model.ModelGraph;
import dev.vlm.server.model.ModelLoadException;
import dev.vlm.server.model.WeightType;
import dev.vlm.server.model.WeightTypes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every weight type the fixtures ship opens at the server's optimisation level, with element
 * types read from the graphs: float16 variants keep float16 embeddings, caches and logits, and
 * their KV cache costs half the bytes, in the reservation and in the memory the decoders hold.
 */
class WeightTypeLoadTest {
  private static final OrtRuntime RUNTIME = OrtRuntime.create(RuntimeSettings.defaults());

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
      "tiny-llava, fp32, FLOAT32", "tiny-llava, fp16, FLOAT16", "tiny-llava, q8, FLOAT32",
      "tiny-llava, int8, FLOAT32", "tiny-llava, uint8, FLOAT32", "tiny-llava, q4, FLOAT32",
      "tiny-llava, q4f16, FLOAT16",
      "tiny-llava-gqa, fp16, FLOAT16", "tiny-llava-gqa, q4, FLOAT32", "tiny-llava-gqa, q8, FLOAT32",
      "tiny-llava-gqa, q4f16, FLOAT16", "tiny-llava, bnb4, FLOAT32",
      "tiny-idefics3, fp16, FLOAT16", "tiny-idefics3, q4f16, FLOAT16", "tiny-smolvlm, q8, FLOAT32",
      "tiny-qwen2-vl, fp16, FLOAT16", "tiny-qwen2.5-vl, q4, FLOAT32",
      "tiny-lfm2-vl, fp16, FLOAT16", "tiny-lfm2-vl, q4f16, FLOAT16"})
  void opensWithTheGraphsElementTypes(String fixture, String dtype, ElementType cache) {
    try (OnnxVlm fp32 = load(fixture, WeightTypes.fp32());
        OnnxVlm vlm = load(fixture, WeightTypes.uniform(WeightType.parse(dtype)))) {
      OnnxVlm.DecoderLayout layout = vlm.decoderLayout();
      assertThat(layout.cacheType()).isEqualTo(cache);
      assertThat(layout.embedsType()).isEqualTo(cache);
      assertThat(layout.logitsType()).isEqualTo(cache);
      assertThat(vlm.kvFootprint().bytesPerPosition() * (cache == ElementType.FLOAT16 ? 2 : 1))
          .isEqualTo(fp32.kvFootprint().bytesPerPosition());
      // The graphs run: a prompt's logits are finite and as wide as the vocabulary.
      try (KvSequence sequence = vlm.newSequence()) {
        float[] logits = sequence.forward(vlm.embed(new int[] {1, 5, 9}), 3);
        assertThat(logits).hasSize(vlm.vocabSize());
        for (float v : logits) {
          assertThat(Float.isFinite(v)).isTrue();
        }
      }
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"tiny-llava-gqa, fp32", "tiny-llava-gqa, fp16", "tiny-llava, fp16", "tiny-lfm2-vl, fp16"})
  void theReservationIsWhatTheDecoderAllocates(String fixture, String dtype) {
    try (OnnxVlm vlm = load(fixture, WeightTypes.uniform(WeightType.parse(dtype)))) {
      int sequences = 4;
      int context = 64;
      KvFootprint footprint = vlm.kvFootprint();
      try (BatchDecoder decoder = vlm.newBatchDecoder(sequences, context)) {
        if (decoder instanceof GqaArenaDecoder arena) {
          assertThat(arena.arenaBytes()).isEqualTo(footprint.reservedBytes(sequences, context, 16, 16));
          assertThat(arena.maxPositions()).isEqualTo(footprint.capacity(context));
        } else {
          ConcatBatchDecoder concat = (ConcatBatchDecoder) decoder;
          // Every sequence decoding at full context: the double-buffered batch stays within the reservation.
          for (int s = 0; s < sequences; s++) {
            concat.step(List.of(new BatchDecoder.Row("s" + s, 0, vlm.embed(new int[context - 1]), context - 1)));
          }
          List<BatchDecoder.Row> decodes = new java.util.ArrayList<>();
          for (int s = 0; s < sequences; s++) {
            decodes.add(new BatchDecoder.Row("s" + s, context - 1, vlm.embed(new int[] {3}), 1));
          }
          concat.step(decodes);
          long blocks = (long) sequences * context / 16;
          assertThat(concat.batch().bytesHeld()).isPositive()
              .isLessThanOrEqualTo(footprint.reservedBytes(sequences, context, 16, blocks));
        }
      }
    }
  }

  @Test
  void theInPlaceArenaIsSizedByTheContextAskedFor() {
    try (OnnxVlm vlm = load("tiny-llava-gqa", WeightTypes.fp32())) {
      int ownBuffer = vlm.kvFootprint().inPlacePositions();
      assertThat(vlm.kvFootprint().capacity(ownBuffer * 4)).isEqualTo(ownBuffer);
      try (BatchDecoder small = vlm.newBatchDecoder(2, 24)) {
        assertThat(small.maxPositions()).isEqualTo(24);
        assertThat(((GqaArenaDecoder) small).arenaBytes()).isEqualTo(vlm.kvFootprint().bytesPerPosition() * 24 * 2);
      }
    }
  }

  @Test
  void aMissingVariantIsNamedWithTheDtypesPresent(@TempDir Path dir) throws Exception {
    Path model = TestData.copyOfTinyLlava(dir, "only-fp32");
    try (var files = Files.list(model.resolve("onnx"))) {
      for (Path file : files.toList()) {
        if (file.getFileName().toString().matches(".*_(fp16|quantized|int8|uint8|q4|q4f16|bnb4)\\.onnx")) {
          Files.delete(file);
        }
      }
    }
    assertThatThrownBy(() -> load(model, WeightTypes.uniform(WeightType.Q4)))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("onnx/vision_encoder_q4.onnx")
        .hasMessageContaining("dtypes present: fp32");
  }

  @Test
  void aTensorOfATypeTheServerCannotFeedFailsTheLoad(@TempDir Path dir) throws Exception {
    Path model = TestData.copyOfTinyLlava(dir, "float64-embeddings");
    Files.copy(TestData.root().resolve("graphs/embed_tokens_float64.onnx"), model.resolve("onnx/embed_tokens_fp16.onnx"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertThatThrownBy(() -> load(model, WeightTypes.perGraph(Map.of(ModelGraph.EMBED_TOKENS, WeightType.FP16))))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("onnx/embed_tokens_fp16.onnx")
        .hasMessageContaining("'inputs_embeds'")
        .hasMessageContaining("DOUBLE");
  }

  private static OnnxVlm load(String fixture, WeightTypes weights) {
    return load(TestData.root().resolve("models").resolve(fixture), weights);
  }

  private static OnnxVlm load(Path model, WeightTypes weights) {
    return OnnxVlm.load(ModelDirectory.open(model), RUNTIME, weights);
  }
}
