package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vlm.api.v1.FinishReason;
import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.server.TestData;
import io.grpc.Status;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The server's greedy output for the Idefics3 and SmolVLM fixtures, through real gRPC calls,
 * equals what transformers.js 4.3.1 generated: tiling, global frame, marker tokens and
 * multi-image prompts included, except where the two resamplers part (see {@link #RESAMPLED_APART}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Idefics3GoldenParityTest {
  private static final List<String> MODELS = List.of("tiny-idefics3", "tiny-smolvlm");
  /**
   * Cases whose tokens follow the resampler: transformers.js resizes the normalized float image
   * bilinearly, the server resizes the 8-bit image with PIL's filter as Python transformers does
   * (the models' own preprocessing), and on these images the two part after a few tokens.
   * PythonGoldenParityTest checks the same images against Python.
   */
  static final Set<String> RESAMPLED_APART =
      Set.of("tiny-idefics3/wide_text_first_1x2", "tiny-idefics3/two_images_one_turn",
          "tiny-idefics3/odd_size_resampled_2x2", "tiny-idefics3/raw_prompt_wide", "tiny-smolvlm/stretch_resampled");

  private RunningServer server;
  private final Set<String> overridden = new HashSet<>();

  @BeforeAll
  void start() {
    server = RunningServer.serving(MODELS);
  }

  @AfterAll
  void stop() throws InterruptedException {
    server.close();
  }

  Stream<Goldens.Case> cases() {
    return MODELS.stream().flatMap(model -> {
      overridden.addAll(casesWithProcessorOverrides(model + ".json"));
      return Goldens.load(model + ".json", model).stream();
    });
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void matchesTransformersJs(Goldens.Case golden) {
    Assumptions.assumeFalse(overridden.contains(golden.id()),
        "the case sets image processor options at call time, which the API has no field for");
    Assumptions.assumeFalse(resampledApart(golden),
        "transformers.js resamples this image differently from Python's PIL, which the server follows");
    GenerateResponse response = InferenceGrpc.newBlockingStub(server.channel).generate(golden.request());

    assertThat(response.getTokenIdsList()).isEqualTo(golden.tokenIds());
    assertThat(response.getText()).isEqualTo(golden.text());
    assertThat(response.getFinishReason())
        .isEqualTo(golden.finishReason().equals("length") ? FinishReason.FINISH_REASON_LENGTH : FinishReason.FINISH_REASON_EOS);
    assertThat(response.getUsage().getPromptTokens()).isEqualTo(golden.promptTokens());
    assertThat(response.getUsage().getImageTokens()).isEqualTo(golden.imageTokens());
  }

  @Test
  void allCasesAtOnceStillMatch() throws Exception {
    List<Goldens.Case> all =
        cases().filter(c -> !overridden.contains(c.id()) && !resampledApart(c)).toList();
    // Sent together, the requests share prefill and decode steps, frames of different images included.
    GoldenAssertions.assertAllAtOnceMatch(server.channel, all);
  }

  @Test
  void moreImagesThanTheFamilyTakesAreInvalid() {
    GenerateRequest request = GrpcAssertions.withImages("tiny-smolvlm", "testdata/images/idefics_quadrants_64x64.png", 6);

    GrpcAssertions.assertStatus(() -> InferenceGrpc.newBlockingStub(server.channel).generate(request), Status.Code.INVALID_ARGUMENT, "at most 5");
  }

  private static boolean resampledApart(Goldens.Case golden) {
    return RESAMPLED_APART.contains(golden.request().getModel() + "/" + golden.id());
  }

  /** Ids of the cases in a golden file that set image processor options per call. */
  static Set<String> casesWithProcessorOverrides(String file) {
    try {
      JsonNode root = new ObjectMapper().readTree(TestData.root().resolve("goldens").resolve(file).toFile());
      Set<String> ids = new HashSet<>();
      for (JsonNode c : root.get("cases")) {
        if (c.has("image_processor_overrides") && !c.get("image_processor_overrides").isEmpty()) {
          ids.add(c.get("id").asText());
        }
      }
      return ids;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
