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
 * The checks every family built from the real transformers classes makes against its Python
 * goldens ({@code testdata/goldens/python/MODEL.json}), through real gRPC: each case unary and
 * streamed, and all of them at once while other families' cases run on the same server. A
 * family's test extends it with its own model, its companions and its own cases.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class PythonFamilyParity {
  final String model;
  private final List<String> others;
  RunningServer server;

  /**
   * @param model the fixture under test
   * @param others fixtures served beside it, whose Python goldens run with it in the batched check
   */
  PythonFamilyParity(String model, List<String> others) {
    this.model = model;
    this.others = others;
  }

  @BeforeAll
  void startServer() {
    server = RunningServer.serving(Stream.concat(Stream.of(model), others.stream()).toList());
  }

  @AfterAll
  void stopServer() throws InterruptedException {
    server.close();
  }

  Stream<Goldens.Case> cases() {
    return Goldens.python(model).stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void matchesPythonGenerate(Goldens.Case golden) {
    GoldenAssertions.assertUnaryMatches(server.channel, golden);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void streamConcatenatesToPython(Goldens.Case golden) {
    GoldenAssertions.assertStreamMatches(server.channel, golden);
  }

  @Test
  void batchedWithOtherFamiliesStillMatches() throws Exception {
    // The model's cases batch with each other in its loop while the other models' loops run too.
    GoldenAssertions.assertAllAtOnceMatch(
        server.channel, Stream.concat(cases(), others.stream().flatMap(other -> Goldens.python(other).stream())).toList());
  }
}
