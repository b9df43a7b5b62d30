package dev.vlm.server.grpc;

import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.server.generation.FinishReason;
import dev.vlm.server.generation.Usage;
import io.grpc.stub.ServerCallStreamObserver;

/**
 * Collects the whole output and sends it as one response. Only one thread at a time writes to
 * the call: the handler thread if the request is refused before it is queued, else the model's
 * thread; so it needs no outbox.
 */
final class UnaryResponder implements Responder {
  private final ServerCallStreamObserver<GenerateResponse> call;
  private final GenerateResponse.Builder response;
  private final StringBuilder text = new StringBuilder();
  private final String requestId;
  private volatile boolean cancelled;
  private boolean closed;

  UnaryResponder(ServerCallStreamObserver<GenerateResponse> call, String requestId) {
    this.call = call;
    this.requestId = requestId;
    this.response = GenerateResponse.newBuilder().setRequestId(requestId);
    call.setOnCancelHandler(() -> cancelled = true);
  }

  @Override
  public boolean isCancelled() {
    return cancelled;
  }

  @Override
  public void onTokens(int[] tokenIds, String newText) {
    for (int id : tokenIds) {
      response.addTokenIds(id);
    }
    text.append(newText);
  }

  @Override
  public void onFinish(FinishReason reason, Usage usage) {
    if (closed || cancelled) {
      return;
    }
    closed = true;
    call.onNext(
        response
            .setText(text.toString())
            .setFinishReason(ResponseProtos.finishReason(reason))
            .setUsage(ResponseProtos.usage(usage))
            .build());
    call.onCompleted();
  }

  @Override
  public void onError(RuntimeException error) {
    if (closed) {
      return;
    }
    closed = true;
    if (!cancelled) {
      call.onError(StatusMapper.toStatus(error, requestId));
    }
  }
}
