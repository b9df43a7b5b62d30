package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.ListenableFuture;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.server.TestData;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.ServerConfig;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The server's greedy output, through real gRPC calls, equals the Python-transformers goldens
 * (testdata/goldens/python, written by tools/reference/python_goldens.py): the real Python
 * processors with their PIL image backend on images that need resampling (wide, tall, odd
 * sizes, grayscale, RGBA, several per prompt), the fixtures' ONNX graphs run by onnxruntime.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PythonGoldenParityTest {
  private static final List<String> MODELS =
      List.of(
          "tiny-llava", "tiny-idefics3", "tiny-smolvlm", "tiny-qwen2-vl", "tiny-qwen2.5-vl", "tiny-lfm2-vl");

  private RunningServer server;

  @BeforeAll
  void start() {
    List<ModelSpec> specs = MODELS.stream()
        .map(name -> new ModelSpec(name, TestData.root().resolve("models").resolve(name), Optional.empty()))
        .toList();
    server = RunningServer.start(ServerConfig.of(0, specs));
  }

  @AfterAll
  void stop() throws InterruptedException {
    server.close();
  }

  Stream<Goldens.Case> cases() {
    return MODELS.stream().flatMap(model -> Goldens.load("python/" + model + ".json", model).stream()
        .map(c -> new Goldens.Case(model + "/" + c.id(), c.request(), c.tokenIds(), c.text(), c.finishReason(),
            c.promptTokens(), c.imageTokens())));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void matchesPython(Goldens.Case golden) {
    GoldenAssertions.assertUnaryMatches(server.channel, golden);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void streamConcatenatesToPython(Goldens.Case golden) {
    GoldenAssertions.assertStreamMatches(server.channel, golden);
  }

  @Test
  void allFamiliesAtOnceStillMatch() throws Exception {
    List<Goldens.Case> all = cases().toList();
    InferenceGrpc.InferenceFutureStub stub = InferenceGrpc.newFutureStub(server.channel);
    // Every model's loop runs its share of the requests at the same time, each batching its own.
    List<ListenableFuture<GenerateResponse>> responses = all.stream().map(c -> stub.generate(c.request())).toList();

    for (int i = 0; i < all.size(); i++) {
      assertThat(responses.get(i).get(60, TimeUnit.SECONDS).getTokenIdsList())
          .as(all.get(i).id())
          .isEqualTo(all.get(i).tokenIds());
    }
  }

}
