package dev.vlm.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.vlm.api.v1.FinishReason;
import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.ModelInfo;
import dev.vlm.api.v1.ModelState;
import dev.vlm.client.ClientOptions;
import dev.vlm.client.GenerationListener;
import dev.vlm.client.Requests;
import dev.vlm.client.ResponseStream;
import dev.vlm.client.StreamHandle;
import dev.vlm.client.VlmClient;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Java client library against the real server over a loopback socket: every way of calling
 * reproduces transformers.js' greedy output, and cancelling leaves the server serving.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JavaClientE2ETest {
  /** Chat with an image, a system message, a multi-turn chat, a raw prompt, and an early EOS. */
  private static final List<String> CASES =
      List.of("gradient_what", "noise_with_system", "multi_turn", "raw_prompt_stripes", "rgba_alpha_dropped");

  private static final long WAIT_SECONDS = 20;
  // Long enough that the stream is still running when the test cancels it (the model's
  // context is 512 tokens; the prompt below takes about 20).
  private static final int LONG_GENERATION_TOKENS = 400;

  private TinyLlavaServer server;
  private VlmClient client;
  private Map<String, Goldens.Case> goldens;

  @BeforeAll
  void start() throws Exception {
    server = TinyLlavaServer.start();
    client = VlmClient.connect(server.target());
    goldens = Goldens.tinyLlava(TinyLlavaServer.MODEL);
  }

  @AfterAll
  void stop() {
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.close();
    }
  }

  Stream<Goldens.Case> cases() {
    return CASES.stream().map(this::golden);
  }

  private Goldens.Case golden(String id) {
    return Goldens.named(goldens, id);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void blockingGenerateReproducesTheGolden(Goldens.Case golden) {
    GenerateResponse response = client.generate(golden.request());

    assertMatchesGolden(response, golden);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void generateAsyncReproducesTheGolden(Goldens.Case golden) throws Exception {
    GenerateResponse response = client.generateAsync(golden.request()).get(WAIT_SECONDS, TimeUnit.SECONDS);

    assertMatchesGolden(response, golden);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void listenerStreamReproducesTheGolden(Goldens.Case golden) throws Exception {
    CollectingListener listener = new CollectingListener();

    client.generateStream(golden.request(), listener);

    List<GenerateResponse> responses = listener.end.get(WAIT_SECONDS, TimeUnit.SECONDS);
    assertStreamMatchesGolden(responses, golden);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void blockingIteratorReproducesTheGolden(Goldens.Case golden) {
    List<GenerateResponse> responses = new ArrayList<>();
    try (ResponseStream stream = client.stream(golden.request())) {
      stream.forEachRemaining(responses::add);
    }

    assertStreamMatchesGolden(responses, golden);
  }

  @Test
  void modelsShowTinyLlavaLoadedAsLlava() {
    List<ModelInfo> models = client.listModels();
    ModelInfo model = client.getModel(TinyLlavaServer.MODEL);

    assertThat(models).extracting(ModelInfo::getName).containsExactly(TinyLlavaServer.MODEL);
    assertThat(models.getFirst()).isEqualTo(model);
    assertThat(model.getState()).isEqualTo(ModelState.MODEL_STATE_LOADED);
    assertThat(model.getFamily()).isEqualTo("llava");
    assertThat(model.getError()).isEmpty();
  }

  @Test
  void unknownModelIsNotFound() {
    StatusRuntimeException error = catchThrowableOfType(StatusRuntimeException.class, () -> client.getModel("nope"));

    assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
  }

  @Test
  void tenantHeaderAndDeadlineChangeNothing() {
    Goldens.Case golden = golden("gradient_what");
    ClientOptions options = ClientOptions.defaults().withTenant("team-e2e").withDeadline(Duration.ofSeconds(30));

    try (VlmClient tenantClient = VlmClient.connect(server.target(), options)) {
      assertMatchesGolden(tenantClient.generate(golden.request()), golden);
      assertThat(tenantClient.getModel(TinyLlavaServer.MODEL).getState()).isEqualTo(ModelState.MODEL_STATE_LOADED);
    }
  }

  @Test
  void cancellingAListenerStreamEndsItCancelledAndTheServerServesOn() throws Exception {
    CollectingListener listener = new CollectingListener();

    StreamHandle handle = client.generateStream(longGeneration(), listener);
    assertThat(listener.firstResponse.await(WAIT_SECONDS, TimeUnit.SECONDS)).as("first response").isTrue();
    handle.cancel();

    Throwable ending = catchThrowableOfType(Exception.class, () -> listener.end.get(WAIT_SECONDS, TimeUnit.SECONDS));
    assertThat(ending).as("the stream ends with an error after cancel()").hasCauseInstanceOf(StatusRuntimeException.class);
    assertThat(((StatusRuntimeException) ending.getCause()).getStatus().getCode()).isEqualTo(Status.Code.CANCELLED);
    assertThat(listener.tokens()).as("tokens before the cancel").isLessThan(LONG_GENERATION_TOKENS);
    assertServerStillServes();
  }

  @Test
  void cancellingABlockingStreamEndsItCancelledAndTheServerServesOn() {
    List<Integer> tokens = new ArrayList<>();
    StatusRuntimeException error;
    try (ResponseStream stream = client.stream(longGeneration())) {
      tokens.addAll(stream.next().getTokenIdsList());
      stream.cancel();
      // At most a response already received may still come; then the cancellation.
      error = catchThrowableOfType(
          StatusRuntimeException.class, () -> stream.forEachRemaining(r -> tokens.addAll(r.getTokenIdsList())));
    }

    assertThat(error).as("the stream ends with an error after cancel()").isNotNull();
    assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.CANCELLED);
    assertThat(tokens.size()).isLessThan(LONG_GENERATION_TOKENS);
    assertServerStillServes();
  }

  private void assertServerStillServes() {
    Goldens.Case golden = golden("gradient_what");
    assertMatchesGolden(client.generate(golden.request()), golden);
  }

  private static GenerateRequest longGeneration() {
    return Requests.chat(TinyLlavaServer.MODEL)
        .user("Tell me a very long story.")
        .maxNewTokens(LONG_GENERATION_TOKENS)
        .temperature(0f)
        .ignoreEos(true)
        .build();
  }

  private static void assertMatchesGolden(GenerateResponse response, Goldens.Case golden) {
    assertThat(response.getTokenIdsList()).isEqualTo(golden.tokenIds());
    assertThat(response.getText()).isEqualTo(golden.text());
    assertThat(response.getFinishReason()).isEqualTo(golden.finishReason());
    assertThat(response.getRequestId()).isEqualTo(golden.id());
    assertThat(response.getUsage().getCompletionTokens()).isEqualTo(golden.tokenIds().size());
  }

  private static void assertStreamMatchesGolden(List<GenerateResponse> responses, Goldens.Case golden) {
    assertThat(responses).isNotEmpty();
    List<Integer> ids = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    for (GenerateResponse response : responses) {
      ids.addAll(response.getTokenIdsList());
      text.append(response.getText());
    }
    GenerateResponse last = responses.getLast();
    assertThat(responses.subList(0, responses.size() - 1))
        .as("only the last response carries a finish reason")
        .allSatisfy(r -> assertThat(r.getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_UNSPECIFIED));
    assertThat(ids).isEqualTo(golden.tokenIds());
    assertThat(text.toString()).isEqualTo(golden.text());
    assertThat(last.getFinishReason()).isEqualTo(golden.finishReason());
    assertThat(last.getUsage().getCompletionTokens()).isEqualTo(golden.tokenIds().size());
  }

  /** Collects a listener stream; {@link #end} completes with the responses or the error. */
  private static final class CollectingListener implements GenerationListener {
    final CountDownLatch firstResponse = new CountDownLatch(1);
    final CompletableFuture<List<GenerateResponse>> end = new CompletableFuture<>();
    private final List<GenerateResponse> responses = new ArrayList<>();

    @Override
    public synchronized void onResponse(GenerateResponse response) {
      responses.add(response);
      firstResponse.countDown();
    }

    @Override
    public synchronized void onCompleted() {
      end.complete(List.copyOf(responses));
    }

    @Override
    public void onError(StatusRuntimeException error) {
      end.completeExceptionally(error);
    }

    synchronized int tokens() {
      return responses.stream().mapToInt(GenerateResponse::getTokenIdsCount).sum();
    }
  }
}
