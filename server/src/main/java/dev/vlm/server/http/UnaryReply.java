package dev.vlm.server.http;

import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.GenerateResponse;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;

/**
 * Relays a unary {@code Generate} call to an HTTP response: the whole body on success, the
 * mapped OpenAI error otherwise. A client that disconnects cancels the call, which stops its
 * generation as a gRPC cancel would.
 */
final class UnaryReply implements ClientResponseObserver<GenerateRequest, GenerateResponse> {
  private final Exchange exchange;
  private final Replies replies;
  private volatile GenerateResponse response;

  UnaryReply(Exchange exchange, Replies replies) {
    this.exchange = exchange;
    this.replies = replies;
  }

  @Override
  public void beforeStart(ClientCallStreamObserver<GenerateRequest> call) {
    exchange.onClientGone(() -> call.cancel("the HTTP client disconnected", null));
  }

  @Override
  public void onNext(GenerateResponse value) {
    response = value;
  }

  @Override
  public void onError(Throwable t) {
    exchange.run(() -> exchange.error(GrpcErrors.toApiError(Status.fromThrowable(t), Status.trailersFromThrowable(t))));
  }

  @Override
  public void onCompleted() {
    GenerateResponse done = response;
    exchange.run(() -> {
      if (done == null) {
        exchange.error(GrpcErrors.toApiError(Status.INTERNAL.withDescription("the call ended without a response"), null));
      } else {
        exchange.json(200, replies.complete(done));
      }
    });
  }
}
