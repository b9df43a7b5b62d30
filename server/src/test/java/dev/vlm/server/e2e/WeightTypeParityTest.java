package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.ListenableFuture;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.GetModelRequest;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.api.v1.ModelInfo;
import dev.vlm.api.v1.ModelsGrpc;
import dev.vlm.server.TestData;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.ServerConfig;
import dev.vlm.server.model.WeightType;
import dev.vlm.server.model.WeightTypes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every family in every weight type its fixtures ship serves, through gRPC, the greedy tokens
 * transformers.js generated with the same {@code dtype}: each case alone, and all of a model's
 * cases at once, batched. The batched check leaves out the dynamically quantized 8-bit variant,
 * whose per-tensor activation scales move with the batch (see docs/MODELS.md).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WeightTypeParityTest {
  /** Fixture, dtype, golden file. */
  private static final List<Variant> VARIANTS = variants();

  /**
   * The 11 of the 61 q8 cases compared whose greedy tokens differ from transformers.js (docs/MODELS.md). Its
   * goldens come from ONNX Runtime 1.30 (Node), while the newest ONNX Runtime Java on Maven
   * Central is 1.29, whose 8-bit kernels give other logits: the same solo greedy loop on the same
   * graphs reproduces tiny-qwen2.5-vl's text_only golden in Python's ONNX Runtime 1.30 and ends on
   * another token in Java's 1.29. All but one of the others have several images, tiles or frames,
   * which transformers.js encodes in one vision call and the server image by image; dynamic 8-bit
   * quantization scales each call's activations by its own range, so the features can differ
   * (not verified case by case). Every other q8 case must match.
   */
  private static final java.util.Map<String, Set<String>> KNOWN_Q8_DIFFERENCES = java.util.Map.of(
      "tiny-smolvlm:q8", Set.of("two_images_one_turn"),
      "tiny-qwen2-vl:q8", Set.of("two_images", "two_images_two_turns"),
      "tiny-qwen2.5-vl:q8", Set.of("text_only", "two_images", "two_images_two_turns"),
      "tiny-lfm2-vl:q8", Set.of("two_images", "tiled_quadrants", "tiled_panorama", "two_images_tiled_and_small",
          "smallest_image"));

  /**
   * In 4-bit and 8-bit weights, two more Idefics3 cases and one more LFM2-VL case part with
   * transformers.js where it resizes images differently from Python (see
   * {@link Idefics3GoldenParityTest#RESAMPLED_APART} and {@link Lfm2GoldenParityTest#RESAMPLED_APART},
   * left out in every weight type): in fp32 and fp16 the slightly different pixels leave the
   * greedy tokens as they are, with quantized weights' smaller logit margins they do not.
   */
  private static final Set<String> RESAMPLED_APART = java.util.stream.Stream.concat(
          Idefics3GoldenParityTest.RESAMPLED_APART.stream(), Lfm2GoldenParityTest.RESAMPLED_APART.stream())
      .collect(java.util.stream.Collectors.toUnmodifiableSet());
  private static final Set<String> RESAMPLED_APART_BELOW_16_BITS = java.util.stream.Stream.concat(
          RESAMPLED_APART.stream(),
          Stream.of("tiny-idefics3/quadrants_split_2x2", "tiny-idefics3/unicode_prompt",
              "tiny-lfm2-vl/two_images_tiled_and_small"))
      .collect(java.util.stream.Collectors.toUnmodifiableSet());

  private RunningServer server;

  record Variant(String fixture, WeightType dtype, String goldens) {
    String modelName() {
      return fixture + ":" + dtype.configName();
    }

    /** q8, int8 and uint8: activations quantized per call, with the call's own range. */
    boolean dynamicallyQuantized() {
      return dtype == WeightType.Q8 || dtype == WeightType.INT8 || dtype == WeightType.UINT8;
    }

    @Override
    public String toString() {
      return modelName();
    }
  }

  private static List<Variant> variants() {
    List<Variant> all = new ArrayList<>();
    for (String fixture : List.of("tiny-llava", "tiny-llava-gqa", "tiny-idefics3", "tiny-smolvlm", "tiny-qwen2-vl",
        "tiny-qwen2.5-vl", "tiny-lfm2-vl")) {
      for (WeightType dtype : List.of(WeightType.FP16, WeightType.Q8, WeightType.Q4, WeightType.Q4F16)) {
        if (fixture.equals("tiny-llava-gqa") && dtype == WeightType.Q8) {
          // Quantized with uint8 weights (the quantizer's rule for graphs with GroupQueryAttention),
          // so tiny-llava's int8-weight goldens do not apply, and transformers.js has no GQA path
          // to make its own; WeightTypeLoadTest opens and runs it.
          continue;
        }
        // The GQA fixture has tiny-llava's weights; its in-place attention op gives the same tokens.
        String goldens = fixture.equals("tiny-llava-gqa") ? "tiny-llava" : fixture;
        all.add(new Variant(fixture, dtype, goldens + "." + dtype.configName() + ".json"));
      }
    }
    for (WeightType dtype : List.of(WeightType.INT8, WeightType.UINT8, WeightType.BNB4)) {
      all.add(new Variant("tiny-llava", dtype, "tiny-llava." + dtype.configName() + ".json"));
    }
    return all;
  }

  @BeforeAll
  void start() {
    List<ModelSpec> specs = VARIANTS.stream()
        .map(v -> new ModelSpec(v.modelName(), TestData.root().resolve("models").resolve(v.fixture()), Optional.empty())
            .withWeights(WeightTypes.uniform(v.dtype())))
        .toList();
    server = RunningServer.start(ServerConfig.of(0, specs));
  }

  @AfterAll
  void stop() throws InterruptedException {
    server.close();
  }

  Stream<Variant> variantsToServe() {
    return VARIANTS.stream();
  }

  private static List<Goldens.Case> cases(Variant variant) {
    Set<String> overridden = Idefics3GoldenParityTest.casesWithProcessorOverrides(variant.goldens());
    // Cases where transformers.js resizes differently from Python, which the server follows.
    Set<String> resampledApart = variant.dtype().configName().startsWith("fp")
        ? RESAMPLED_APART
        : RESAMPLED_APART_BELOW_16_BITS;
    return Goldens.load(variant.goldens(), variant.modelName()).stream()
        .filter(c -> !overridden.contains(c.id()))
        .filter(c -> !resampledApart.contains(variant.fixture() + "/" + c.id()))
        .toList();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("variantsToServe")
  void eachCaseAloneMatchesTheGoldens(Variant variant) {
    InferenceGrpc.InferenceBlockingStub stub = InferenceGrpc.newBlockingStub(server.channel);
    List<String> differing = new ArrayList<>();
    for (Goldens.Case golden : cases(variant)) {
      GenerateResponse response = stub.withDeadlineAfter(60, TimeUnit.SECONDS).generate(golden.request());
      if (!response.getTokenIdsList().equals(golden.tokenIds()) || !response.getText().equals(golden.text())) {
        differing.add(golden.id());
      }
    }
    if (variant.dynamicallyQuantized()) {
      assertThat(differing).as(variant + ": cases whose tokens differ")
          .isSubsetOf(KNOWN_Q8_DIFFERENCES.getOrDefault(variant.modelName(), Set.of()));
    } else {
      assertThat(differing).as(variant + ": cases whose tokens differ").isEmpty();
    }
    ModelInfo info = ModelsGrpc.newBlockingStub(server.channel)
        .getModel(GetModelRequest.newBuilder().setName(variant.modelName()).build());
    assertThat(info.getGraphDtypesMap()).containsOnly(
        java.util.Map.entry("vision_encoder", variant.dtype().configName()),
        java.util.Map.entry("embed_tokens", variant.dtype().configName()),
        java.util.Map.entry("decoder_model_merged", variant.dtype().configName()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("variantsToServe")
  void allCasesAtOnceMatchTheGoldens(Variant variant) throws Exception {
    org.junit.jupiter.api.Assumptions.assumeFalse(variant.dynamicallyQuantized(),
        "dynamic 8-bit quantization scales activations per tensor, so batched logits move with the batch");
    List<Goldens.Case> all = cases(variant);
    InferenceGrpc.InferenceFutureStub stub = InferenceGrpc.newFutureStub(server.channel);
    List<ListenableFuture<GenerateResponse>> responses = all.stream().map(c -> stub.generate(c.request())).toList();
    for (int i = 0; i < all.size(); i++) {
      assertThat(responses.get(i).get(60, TimeUnit.SECONDS).getTokenIdsList())
          .as(variant + " " + all.get(i).id())
          .isEqualTo(all.get(i).tokenIds());
    }
  }
}
