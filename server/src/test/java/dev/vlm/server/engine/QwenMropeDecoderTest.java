package dev.vlm.server.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import dev.vlm.server.TestData;
import dev.vlm.server.config.RuntimeSettings;
import dev.vlm.server.image.RgbImage;
import dev.vlm.server.image.qwen.GridThw;
import dev.vlm.server.image.qwen.QwenGoldens;
import dev.vlm.server.image.qwen.QwenImageProcessor;
import dev.vlm.server.image.qwen.QwenPixels;
import dev.vlm.server.model.ModelDirectory;
import dev.vlm.server.model.ModelGraph;
import dev.vlm.server.model.WeightTypes;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Qwen2-VL fixtures' decoders with 3-D M-RoPE position ids: each golden case's prompt
 * (image features from the fixture's vision encoder, fed its patch grid, written over the image
 * tokens' embeddings) is prefilled with the recorded position ids and greedy-decoded at cache
 * index + rope delta, alone and all cases at once through the batch decoder.
 */
class QwenMropeDecoderTest {
  private static final Set<Integer> EOS = Set.of(484, 482);
  private static final int CHUNK = 16;

  @ParameterizedTest
  @ValueSource(strings = {"tiny-qwen2-vl", "tiny-qwen2.5-vl"})
  void everyGoldenCaseAloneMatchesItsTokens(String model) throws OrtException {
    try (Fixture fixture = new Fixture(model)) {
      assertThat(positionRows(fixture.runtime, QwenGoldens.modelDir(model))).isEqualTo(3);
      for (JsonNode c : fixture.goldens.path("cases")) {
        Prompt prompt = fixture.prompt(c);
        List<Integer> tokens = new ArrayList<>();
        try (KvSequence sequence = fixture.vlm.newSequence()) {
          float[] logits = sequence.forward(prompt.embeds, prompt.length, prompt.positions);
          while (true) {
            int token = Greedy.argmax(logits);
            tokens.add(token);
            if (EOS.contains(token) || tokens.size() == prompt.maxNewTokens) {
              break;
            }
            long position = sequence.length() + prompt.ropeDelta;
            logits = sequence.forward(fixture.vlm.embed(new int[] {token}), 1, new long[][] {{position}});
          }
        }
        assertThat(tokens).as("%s %s", model, c.path("id").asText()).isEqualTo(prompt.expected);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"tiny-qwen2-vl", "tiny-qwen2.5-vl"})
  void allGoldenCasesBatchedWithTheirOwnRopeDeltasMatchTheirTokens(String model) throws OrtException {
    try (Fixture fixture = new Fixture(model);
        BatchDecoder decoder = fixture.vlm.newBatchDecoder(16, 512)) {
      List<Prompt> prompts = new ArrayList<>();
      for (JsonNode c : fixture.goldens.path("cases")) {
        prompts.add(fixture.prompt(c));
      }
      int n = prompts.size();
      int[] position = new int[n];
      int[] lastToken = new int[n];
      boolean[] done = new boolean[n];
      List<List<Integer>> outputs = new ArrayList<>();
      for (int s = 0; s < n; s++) {
        outputs.add(new ArrayList<>());
      }
      int finished = 0;
      for (int step = 0; finished < n; step++) {
        List<BatchDecoder.Row> rows = new ArrayList<>();
        List<Integer> who = new ArrayList<>();
        for (int s = 0; s < n; s++) {
          Prompt p = prompts.get(s);
          if (done[s] || step < s % 4) {
            continue; // not yet arrived, or finished
          }
          who.add(s);
          if (position[s] < p.length) {
            int length = Math.min(CHUNK, p.length - position[s]);
            rows.add(new BatchDecoder.Row("q" + s, position[s],
                Arrays.copyOfRange(p.embeds, position[s] * fixture.vlm.hiddenSize(),
                    (position[s] + length) * fixture.vlm.hiddenSize()),
                length, slice(p.positions, position[s], length)));
          } else {
            rows.add(BatchDecoder.Row.withPositionOffset(
                "q" + s, position[s], fixture.vlm.embed(new int[] {lastToken[s]}), 1, p.ropeDelta));
          }
        }
        float[][] logits = decoder.step(rows);
        for (int k = 0; k < who.size(); k++) {
          int s = who.get(k);
          position[s] += rows.get(k).length();
          if (position[s] < prompts.get(s).length) {
            continue; // mid-prompt chunk: its logits are not a prediction yet
          }
          int token = Greedy.argmax(logits[k]);
          outputs.get(s).add(token);
          lastToken[s] = token;
          if (EOS.contains(token) || outputs.get(s).size() == prompts.get(s).maxNewTokens) {
            done[s] = true;
            finished++;
            decoder.release("q" + s);
          }
        }
      }
      for (int s = 0; s < n; s++) {
        assertThat(outputs.get(s)).as("%s %s", model, prompts.get(s).id).isEqualTo(prompts.get(s).expected);
      }
    }
  }

  @Test
  void explicitPositionsMustFitTheDecoder() {
    OrtRuntime runtime = OrtRuntime.create(RuntimeSettings.defaults());
    try (OnnxVlm llava = OnnxVlm.load(ModelDirectory.open(TestData.tinyLlava()), runtime);
        BatchDecoder decoder = llava.newBatchDecoder(2, 64);
        OnnxVlm gqa = OnnxVlm.load(ModelDirectory.open(TestData.root().resolve("models/tiny-llava-gqa")), runtime);
        BatchDecoder arena = gqa.newBatchDecoder(2, 64)) {
      assertThat(positionRows(runtime, TestData.tinyLlava())).isEqualTo(1);
      float[] embeds = llava.embed(new int[] {5, 6});
      // Three differing rows cannot go to a 1-D position input; equal rows can.
      long[][] mrope = {{0, 1}, {0, 2}, {0, 1}};
      assertThatThrownBy(() -> decoder.step(List.of(new BatchDecoder.Row("a", 0, embeds, 2, mrope))))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("position id");
      float[] explicit = decoder.step(List.of(new BatchDecoder.Row("a", 0, embeds, 2, new long[][] {{0, 1}, {0, 1}, {0, 1}})))[0];
      float[] implicit = decoder.step(List.of(new BatchDecoder.Row("b", 0, embeds, 2)))[0];
      assertThat(explicit).containsExactly(implicit);
      assertThatThrownBy(() -> new BatchDecoder.Row("c", 0, embeds, 2, new long[][] {{0}}))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs 2 ids");
      // The in-place arena derives positions from its mask; shifted ones are refused.
      assertThatThrownBy(() -> arena.step(List.of(BatchDecoder.Row.withPositionOffset("g", 0, gqa.embed(new int[] {5}), 1, 3))))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("position ids");
    }
  }

  private static int positionRows(OrtRuntime runtime, Path modelDir) {
    try (OrtSession decoder = runtime.open(modelDir.resolve(WeightTypes.fp32().fileOf(ModelGraph.DECODER)))) {
      return OnnxVlm.DecoderLayout.of(decoder, "decoder").positionRows();
    } catch (OrtException e) {
      throw new AssertionError(e);
    }
  }

  private static long[][] slice(long[][] positions, int from, int length) {
    long[][] out = new long[positions.length][];
    for (int r = 0; r < positions.length; r++) {
      out[r] = Arrays.copyOfRange(positions[r], from, from + length);
    }
    return out;
  }

  /** A golden case ready for the decoder. */
  private record Prompt(String id, float[] embeds, int length, long[][] positions, long ropeDelta, int maxNewTokens,
      List<Integer> expected) {}

  /** One fixture: its graphs, its vision encoder opened directly (fed the grid), its goldens. */
  private static final class Fixture implements AutoCloseable {
    final OnnxVlm vlm;
    final OrtRuntime runtime;
    final OrtSession vision;
    final JsonNode goldens;
    final QwenImageProcessor processor;
    final int imageToken;

    Fixture(String model) {
      runtime = OrtRuntime.create(RuntimeSettings.defaults());
      vlm = OnnxVlm.load(ModelDirectory.open(QwenGoldens.modelDir(model)), runtime);
      vision = runtime.open(QwenGoldens.modelDir(model).resolve(WeightTypes.fp32().fileOf(ModelGraph.VISION_ENCODER)));
      goldens = QwenGoldens.load(model);
      processor = QwenGoldens.processor(model);
      imageToken = goldens.path("special_tokens").path("image").asInt();
    }

    Prompt prompt(JsonNode c) throws OrtException {
      int[] ids = QwenGoldens.ints(c.path("input_ids"));
      float[] embeds = vlm.embed(ids);
      List<RgbImage> images = QwenGoldens.images(c);
      if (!images.isEmpty()) {
        float[][] features = encode(images, c);
        int hidden = vlm.hiddenSize();
        int k = 0;
        for (int i = 0; i < ids.length; i++) {
          if (ids[i] == imageToken) {
            System.arraycopy(features[k++], 0, embeds, i * hidden, hidden);
          }
        }
        assertThat(k).isEqualTo(features.length);
      }
      List<Integer> expected = new ArrayList<>();
      c.path("generated_ids").forEach(t -> expected.add(t.asInt()));
      return new Prompt(c.path("id").asText(), embeds, ids.length, QwenGoldens.positionIds(c),
          c.path("rope_delta").asLong(), c.path("max_new_tokens").asInt(), expected);
    }

    /** All images of a case in one encoder call: patch rows and grid rows concatenated in prompt order. */
    private float[][] encode(List<RgbImage> images, JsonNode c) throws OrtException {
      List<QwenPixels> parts = new ArrayList<>();
      int rows = 0;
      for (RgbImage image : images) {
        QwenPixels pixels = processor.process(image);
        parts.add(pixels);
        rows += pixels.rows();
      }
      assertThat(parts.stream().map(QwenPixels::grid).toList()).isEqualTo(QwenGoldens.grids(c));
      int width = processor.rowWidth();
      float[] patches = new float[rows * width];
      long[] grid = new long[parts.size() * 3];
      int offset = 0;
      for (int i = 0; i < parts.size(); i++) {
        QwenPixels p = parts.get(i);
        System.arraycopy(p.patches(), 0, patches, offset, p.patches().length);
        offset += p.patches().length;
        GridThw g = p.grid();
        grid[i * 3] = g.t();
        grid[i * 3 + 1] = g.h();
        grid[i * 3 + 2] = g.w();
      }
      String gridInput = vision.getInputNames().stream().filter(name -> !name.equals("pixel_values")).findFirst()
          .orElseThrow();
      assertThat(gridInput).isEqualTo(goldens.path("vision_encoder_grid_input").asText());
      Map<String, OnnxTensor> feeds = new HashMap<>();
      try {
        feeds.put("pixel_values",
            OnnxTensor.createTensor(runtime.env(), FloatBuffer.wrap(patches), new long[] {rows, width}));
        feeds.put(gridInput, OnnxTensor.createTensor(runtime.env(), LongBuffer.wrap(grid), new long[] {parts.size(), 3}));
        try (OrtSession.Result out = vision.run(feeds)) {
          OnnxTensor features = (OnnxTensor) out.get(0);
          int hidden = (int) features.getInfo().getShape()[1];
          FloatBuffer data = features.getFloatBuffer();
          float[][] result = new float[data.remaining() / hidden][hidden];
          for (float[] row : result) {
            data.get(row);
          }
          return result;
        }
      } finally {
        feeds.values().forEach(OnnxTensor::close);
      }
    }

    @Override
    public void close() throws OrtException {
      vision.close();
      vlm.close();
    }
  }
}
