package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm.api.v1.FinishReason;
import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.server.config.RequestLimits;
import dev.vlm.server.serving.ModelStatus;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A streaming client that stops reading cannot hold the model: once too many responses wait
 * for it, its generation stops and it gets RESOURCE_EXHAUSTED; a client that keeps up gets
 * everything.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BackpressureTest {
  private static final int TOKENS = 400;
  private static final int MAX_PENDING = 16;
  // Responses echo the request id; a long one makes each response about 1 KiB, so the few
  // tens of KiB that the transport buffers fill within the first hundred tokens.
  private static final String LONG_REQUEST_ID = "r".repeat(1024);

  private RunningServer server;
  private List<Integer> expectedTokens;

  @BeforeAll
  void start() {
    RequestLimits d = RequestLimits.defaults();
    server =
        RunningServer.start(
            RunningServer.tinyLlavaConfig()
                .withLimits(
                    new RequestLimits(
                        d.maxImageBytes(), d.maxImagePixels(), d.maxImagesPerRequest(),
                        d.maxQueuedRequestsPerModel(), d.defaultMaxNewTokens(), MAX_PENDING)));
    expectedTokens = InferenceGrpc.newBlockingStub(server.channel).generate(LongRequests.ofTokens(TOKENS)).getTokenIdsList();
    assertThat(expectedTokens).hasSize(TOKENS);
  }

  @AfterAll
  void stop() throws InterruptedException {
    server.close();
  }

  @Test
  void aClientThatReadsNothingIsStoppedAndTheModelIsFreed() throws Exception {
    long before = status().generatedTokens();
    // A small receive window, so unread responses back up on the server rather than in the client.
    ManagedChannel stalled =
        NettyChannelBuilder.forAddress("127.0.0.1", server.server.port()).usePlaintext().flowControlWindow(16 * 1024).build();
    try {
      Reader reader = new Reader();
      ClientCall<GenerateRequest, GenerateResponse> call =
          stalled.newCall(InferenceGrpc.getGenerateStreamMethod(), CallOptions.DEFAULT);
      call.start(reader, new Metadata());
      call.sendMessage(LongRequests.ofTokens(TOKENS).toBuilder().setRequestId(LONG_REQUEST_ID).build());
      call.halfClose();
      // No call.request(): nothing is read.

      ModelStatus after =
          LongRequests.awaitModel(
              server.server,
              "tiny-llava",
              m -> m.generatedTokens() > before && m.inFlightRequests() == 0,
              Duration.ofSeconds(30));
      assertThat(after.generatedTokens() - before).as("tokens generated before the stop").isLessThan(TOKENS);
      assertThat(InferenceGrpc.newBlockingStub(server.channel).generate(LongRequests.ofTokens(3)).getTokenIdsCount())
          .as("the model serves the next request while the stalled client still reads nothing")
          .isEqualTo(3);

      call.request(Integer.MAX_VALUE);
      Status status = reader.closed.get(10, TimeUnit.SECONDS);

      assertThat(status.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(status.getDescription()).contains("did not read the stream fast enough");
      List<Integer> received = new ArrayList<>();
      reader.responses.forEach(r -> received.addAll(r.getTokenIdsList()));
      assertThat(received.size()).isLessThan(TOKENS);
      assertThat(received).isEqualTo(expectedTokens.subList(0, received.size()));
    } finally {
      stalled.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void aClientThatKeepsUpGetsEveryTokenInOrder() throws Exception {
    List<GenerateResponse> responses = new ArrayList<>();
    InferenceGrpc.newBlockingStub(server.channel).generateStream(LongRequests.ofTokens(TOKENS)).forEachRemaining(responses::add);

    List<Integer> received = new ArrayList<>();
    responses.forEach(r -> received.addAll(r.getTokenIdsList()));
    assertThat(received).isEqualTo(expectedTokens);
    assertThat(responses.getLast().getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_LENGTH);
    assertThat(responses.getLast().getUsage().getCompletionTokens()).isEqualTo(TOKENS);
    LongRequests.awaitModel(server.server, "tiny-llava", m -> m.inFlightRequests() == 0, Duration.ofSeconds(10));
  }

  private ModelStatus status() throws InterruptedException {
    return LongRequests.awaitModel(server.server, "tiny-llava", m -> true, Duration.ofSeconds(1));
  }

  /** Records what arrives, once the test lets it. */
  private static final class Reader extends ClientCall.Listener<GenerateResponse> {
    final List<GenerateResponse> responses = new CopyOnWriteArrayList<>();
    final CompletableFuture<Status> closed = new CompletableFuture<>();

    @Override
    public void onMessage(GenerateResponse message) {
      responses.add(message);
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      closed.complete(status);
    }
  }
}
