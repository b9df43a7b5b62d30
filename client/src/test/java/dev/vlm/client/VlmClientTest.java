package dev.vlm.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vlm.api.v1.FinishReason;
import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.ModelInfo;
import dev.vlm.api.v1.ModelState;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class VlmClientTest {
  private FakeVlmServer server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    server = FakeVlmServer.inProcess();
    channel = server.newChannel();
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow();
    server.close();
  }

  private VlmClient client() {
    return new VlmClient(channel);
  }

  private static GenerateRequest request(String model) {
    return Requests.chat(model).user("hi").requestId("r-" + model).build();
  }

  @Test
  void generateReturnsTheWholeCompletionAndSendsTheRequestAsBuilt() throws Exception {
    GenerateRequest request = request("tiny");

    GenerateResponse response = client().generate(request);

    assertThat(response).isEqualTo(FakeVlmServer.fullResponse("r-tiny"));
    assertThat(server.takeCall().request()).isEqualTo(request);
  }

  @Test
  void tenantHeaderAndDeadlineGoOutWithEveryCall() throws Exception {
    ClientOptions options =
        ClientOptions.defaults().withTenant("team-a").withDeadline(Duration.ofSeconds(30));
    VlmClient client = new VlmClient(channel, options);

    client.generate(request("tiny"));
    try (ResponseStream stream = client.stream(request("tiny"))) {
      stream.forEachRemaining(response -> {});
    }

    for (int i = 0; i < 2; i++) {
      FakeVlmServer.RecordedCall call = server.takeCall();
      assertThat(call.tenant()).isEqualTo("team-a");
      assertThat(call.deadline()).isNotNull();
      assertThat(call.deadline().timeRemaining(TimeUnit.SECONDS)).isBetween(1L, 30L);
    }
  }

  @Test
  void withoutOptionsNoTenantOrDeadlineIsSent() throws Exception {
    client().generate(request("tiny"));

    FakeVlmServer.RecordedCall call = server.takeCall();
    assertThat(call.tenant()).isNull();
    assertThat(call.deadline()).isNull();
  }

  @Test
  void serverErrorsSurfaceAsStatusRuntimeExceptionWithTheServersStatus() {
    assertThatThrownBy(() -> client().generate(request("fail-INVALID_ARGUMENT")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).contains("fail-INVALID_ARGUMENT");
            });
  }

  @Test
  void passedDeadlineIsDeadlineExceeded() {
    VlmClient client =
        new VlmClient(channel, ClientOptions.defaults().withDeadline(Duration.ofMillis(50)));

    assertThatThrownBy(() -> client.generate(request(FakeVlmServer.SLOW)))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
  }

  @Test
  void generateAsyncCompletesWithTheResponse() throws Exception {
    GenerateResponse response = client().generateAsync(request("tiny")).get(5, TimeUnit.SECONDS);

    assertThat(response.getText()).isEqualTo(String.join("", FakeVlmServer.DELTAS));
  }

  @Test
  void generateAsyncFailsWithStatusRuntimeException() {
    CompletableFuture<GenerateResponse> future = client().generateAsync(request("fail-NOT_FOUND"));

    assertThatThrownBy(() -> future.get(5, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
  }

  @Test
  void cancellingTheAsyncFutureCancelsTheServerCall() throws Exception {
    CompletableFuture<GenerateResponse> future = client().generateAsync(request(FakeVlmServer.SLOW));
    server.takeCall();

    assertThat(future.cancel(true)).isTrue();

    assertThat(server.awaitCancel()).isTrue();
  }

  @Test
  void generateStreamDeliversDeltasInOrderThenCompletes() throws Exception {
    RecordingListener listener = new RecordingListener();

    client().generateStream(request("tiny"), listener);

    assertThat(listener.done.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(listener.error).isNull();
    assertThat(listener.completed).isTrue();
    assertThat(listener.responses)
        .extracting(GenerateResponse::getText)
        .containsExactlyElementsOf(FakeVlmServer.DELTAS);
    GenerateResponse last = listener.responses.getLast();
    assertThat(last.getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_LENGTH);
    assertThat(last.getUsage().getCompletionTokens()).isEqualTo(FakeVlmServer.DELTAS.size());
  }

  @Test
  void cancellingAStreamHandleCancelsTheServerCallAndReportsCancelled() throws Exception {
    RecordingListener listener = new RecordingListener();
    StreamHandle handle = client().generateStream(request(FakeVlmServer.SLOW), listener);
    assertThat(listener.firstResponse.await(5, TimeUnit.SECONDS)).isTrue();

    handle.cancel();

    assertThat(server.awaitCancel()).isTrue();
    assertThat(listener.done.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(listener.error.getStatus().getCode()).isEqualTo(Status.Code.CANCELLED);
    assertThat(listener.completed).isFalse();
  }

  @Test
  void streamErrorsAfterSomeOutputReachTheListener() throws Exception {
    RecordingListener listener = new RecordingListener();

    client().generateStream(request("partial-fail-UNAVAILABLE"), listener);

    assertThat(listener.done.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(listener.responses).extracting(GenerateResponse::getText).containsExactly("Hel");
    assertThat(listener.error.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
  }

  @Test
  void blockingStreamIteratesAllDeltasAndEnds() {
    List<String> texts = new ArrayList<>();
    try (ResponseStream stream = client().stream(request("tiny"))) {
      stream.forEachRemaining(response -> texts.add(response.getText()));
      assertThat(stream.hasNext()).isFalse();
    }

    assertThat(texts).containsExactlyElementsOf(FakeVlmServer.DELTAS);
  }

  @Test
  void blockingStreamThrowsTheStatusAfterTheOutputBeforeIt() {
    try (ResponseStream stream = client().stream(request("partial-fail-RESOURCE_EXHAUSTED"))) {
      assertThat(stream.next().getText()).isEqualTo("Hel");
      assertThatThrownBy(stream::hasNext)
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
    }
  }

  @Test
  void closingABlockingStreamEarlyCancelsTheServerCall() throws Exception {
    try (ResponseStream stream = client().stream(request(FakeVlmServer.SLOW))) {
      assertThat(stream.next().getText()).isEqualTo("tick");
    }

    assertThat(server.awaitCancel()).isTrue();
  }

  @Test
  void cancelFromAnotherThreadWakesTheReaderWithCancelled() throws Exception {
    ResponseStream stream = client().stream(request(FakeVlmServer.SLOW));
    stream.next();

    Thread.ofVirtual().start(stream::cancel);

    assertThatThrownBy(() -> stream.forEachRemaining(response -> {}))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.CANCELLED));
    assertThat(server.awaitCancel()).isTrue();
  }

  @Test
  void listModelsAndGetModelReturnTheCatalogue() {
    ModelInfo tiny =
        ModelInfo.newBuilder()
            .setName("tiny-llava")
            .setFamily("llava")
            .setState(ModelState.MODEL_STATE_LOADED)
            .build();
    ModelInfo other = ModelInfo.newBuilder().setName("z").setFamily("qwen2_vl").build();
    server.setModels(List.of(tiny, other));

    assertThat(client().listModels()).containsExactly(tiny, other);
    assertThat(client().getModel("tiny-llava")).isEqualTo(tiny);
    assertThatThrownBy(() -> client().getModel("nope"))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
  }

  @Test
  void closingAClientThatWrapsAChannelLeavesTheChannelOpen() {
    client().close();

    assertThat(channel.isShutdown()).isFalse();
  }

  /** Records a stream's callbacks. */
  private static final class RecordingListener implements GenerationListener {
    final List<GenerateResponse> responses = new ArrayList<>();
    final CountDownLatch firstResponse = new CountDownLatch(1);
    final CountDownLatch done = new CountDownLatch(1);
    volatile boolean completed;
    volatile StatusRuntimeException error;

    @Override
    public void onResponse(GenerateResponse response) {
      synchronized (responses) {
        responses.add(response);
      }
      firstResponse.countDown();
    }

    @Override
    public void onCompleted() {
      completed = true;
      done.countDown();
    }

    @Override
    public void onError(StatusRuntimeException e) {
      error = e;
      done.countDown();
    }
  }
}
