package dev.vlm.server.grpc;

import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.InferenceGrpc;
import io.grpc.ForwardingServerCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real in-process gRPC server whose GenerateStream builds a {@link StreamResponder} and hands
 * it to the test, which then plays the model's thread. An interceptor counts calls on the
 * server call that overlap in time: the responder must never make any.
 */
final class StreamHarness implements AutoCloseable {
  final ManagedChannel channel;
  private final Server server;
  private final BlockingQueue<StreamResponder> responders = new LinkedBlockingQueue<>();
  private final AtomicInteger inside = new AtomicInteger();
  private final AtomicInteger overlaps = new AtomicInteger();

  StreamHarness(int maxPendingMessages, Executor drainExecutor) throws IOException {
    String name = InProcessServerBuilder.generateName();
    var service =
        new InferenceGrpc.InferenceImplBase() {
          @Override
          public void generateStream(GenerateRequest request, StreamObserver<GenerateResponse> observer) {
            responders.add(
                new StreamResponder(
                    (ServerCallStreamObserver<GenerateResponse>) observer,
                    request.getRequestId(),
                    maxPendingMessages,
                    drainExecutor));
          }
        };
    server =
        InProcessServerBuilder.forName(name)
            .addService(ServerInterceptors.intercept(service, new OverlapDetector()))
            .build()
            .start();
    channel = InProcessChannelBuilder.forName(name).build();
  }

  /** The responder of the next call that reaches the server. */
  StreamResponder nextResponder() throws InterruptedException {
    StreamResponder responder = responders.poll(5, TimeUnit.SECONDS);
    if (responder == null) {
      throw new AssertionError("no call reached the server in 5 s");
    }
    return responder;
  }

  /** How many times two threads were inside the server call's methods at once. */
  int overlappingCalls() {
    return overlaps.get();
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private final class OverlapDetector implements ServerInterceptor {
    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
        ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
      return next.startCall(
          new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void sendHeaders(Metadata headers) {
              guarded(() -> super.sendHeaders(headers));
            }

            @Override
            public void sendMessage(RespT message) {
              guarded(() -> super.sendMessage(message));
            }

            @Override
            public boolean isReady() {
              enter();
              try {
                // Widen the window in which a second, unserialized caller would be caught.
                Thread.onSpinWait();
                return super.isReady();
              } finally {
                inside.decrementAndGet();
              }
            }

            @Override
            public void close(Status status, Metadata trailers) {
              guarded(() -> super.close(status, trailers));
            }
          },
          headers);
    }

    private void guarded(Runnable action) {
      enter();
      try {
        action.run();
      } finally {
        inside.decrementAndGet();
      }
    }

    private void enter() {
      if (inside.incrementAndGet() > 1) {
        overlaps.incrementAndGet();
      }
    }
  }
}
