package dev.vlm.client.bench;

import dev.vlm.api.v1.FinishReason;
import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.InferenceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-process server that streams exactly {@code max_new_tokens} tokens per request, {@code
 * chunk} token ids per message, one message every {@code delayMillis}. A request asking for
 * {@link #FAILING_LENGTH} tokens fails at once with RESOURCE_EXHAUSTED.
 */
final class TokenStreamingServer implements AutoCloseable {
  /** The output length that makes a request fail. */
  static final int FAILING_LENGTH = 13;

  private final ScheduledExecutorService ticker = Executors.newScheduledThreadPool(2);
  private final ConcurrentLinkedQueue<GenerateRequest> received = new ConcurrentLinkedQueue<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();
  private final String name = InProcessServerBuilder.generateName();
  private final Server server;
  private final long delayMillis;
  private final int chunk;

  TokenStreamingServer(long delayMillis, int chunk) throws IOException {
    this.delayMillis = delayMillis;
    this.chunk = chunk;
    this.server =
        InProcessServerBuilder.forName(name).addService(new Streaming()).build().start();
  }

  ManagedChannel newChannel() {
    return InProcessChannelBuilder.forName(name).build();
  }

  /** Every request received, in arrival order. */
  java.util.List<GenerateRequest> received() {
    return java.util.List.copyOf(received);
  }

  /** The most requests that were being served at once. */
  int maxInFlight() {
    return maxInFlight.get();
  }

  @Override
  public void close() throws InterruptedException {
    ticker.shutdownNow();
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private final class Streaming extends InferenceGrpc.InferenceImplBase {
    @Override
    public void generateStream(
        GenerateRequest request, StreamObserver<GenerateResponse> responses) {
      received.add(request);
      int length = request.getSampling().getMaxNewTokens();
      if (length == FAILING_LENGTH) {
        responses.onError(
            Status.RESOURCE_EXHAUSTED.withDescription("scripted").asRuntimeException());
        return;
      }
      maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
      ServerCallStreamObserver<GenerateResponse> call =
          (ServerCallStreamObserver<GenerateResponse>) responses;
      sendFrom(call, request, 0, length);
    }

    private void sendFrom(
        ServerCallStreamObserver<GenerateResponse> call,
        GenerateRequest request,
        int sent,
        int length) {
      ticker.schedule(
          () -> {
            if (call.isCancelled()) {
              inFlight.decrementAndGet();
              return;
            }
            int upTo = Math.min(length, sent + chunk);
            GenerateResponse.Builder message =
                GenerateResponse.newBuilder().setRequestId(request.getRequestId());
            for (int id = sent; id < upTo; id++) {
              message.addTokenIds(id + 1);
            }
            if (upTo == length) {
              message.setFinishReason(FinishReason.FINISH_REASON_LENGTH);
            }
            call.onNext(message.build());
            if (upTo == length) {
              inFlight.decrementAndGet();
              call.onCompleted();
            } else {
              sendFrom(call, request, upTo, length);
            }
          },
          delayMillis,
          TimeUnit.MILLISECONDS);
    }
  }
}
