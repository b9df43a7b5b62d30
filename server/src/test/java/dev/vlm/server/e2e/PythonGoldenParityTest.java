package dev.vlm.server.e2e;


import java.util.List;
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
    server = RunningServer.serving(MODELS);
  }

  @AfterAll
  void stop() throws InterruptedException {
    server.close();
  }

  Stream<Goldens.Case> cases() {
    return MODELS.stream().flatMap(model -> Goldens.python(model).stream()
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
    // Every model's loop runs its share of the requests at the same time, each batching its own.
    GoldenAssertions.assertAllAtOnceMatch(server.channel, cases().toList());
  }

}
