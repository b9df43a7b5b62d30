package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.ListenableFuture;
import dev.vlm.api.v1.FinishReason;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.server.TestData;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.ServerConfig;
import java.util.ArrayList;
import java.util.Iterator;
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
      List.of("tiny-llava", "tiny-idefics3", "tiny-smolvlm", "tiny-qwen2-vl", "tiny-qwen2.5-vl");

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
    GenerateResponse response = InferenceGrpc.newBlockingStub(server.channel).generate(golden.request());

    assertThat(response.getTokenIdsList()).isEqualTo(golden.tokenIds());
    assertThat(response.getText()).isEqualTo(golden.text());
    assertThat(response.getFinishReason()).isEqualTo(expectedReason(golden));
    assertThat(response.getUsage().getPromptTokens()).isEqualTo(golden.promptTokens());
    assertThat(response.getUsage().getImageTokens()).isEqualTo(golden.imageTokens());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void streamConcatenatesToPython(Goldens.Case golden) {
    Iterator<GenerateResponse> stream = InferenceGrpc.newBlockingStub(server.channel).generateStream(golden.request());
    List<Integer> ids = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    GenerateResponse last = null;
    while (stream.hasNext()) {
      last = stream.next();
      ids.addAll(last.getTokenIdsList());
      text.append(last.getText());
    }

    assertThat(ids).isEqualTo(golden.tokenIds());
    assertThat(text.toString()).isEqualTo(golden.text());
    assertThat(last.getFinishReason()).isEqualTo(expectedReason(golden));
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

  private static FinishReason expectedReason(Goldens.Case golden) {
    return golden.finishReason().equals("length") ? FinishReason.FINISH_REASON_LENGTH : FinishReason.FINISH_REASON_EOS;
  }
}
