package dev.vlm.server.grpc;

import dev.vlm.api.v1.FinishReason;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.Usage;
import dev.vlm.server.generation.GenerationSink;
import io.grpc.stub.ServerCallStreamObserver;

/**
 * Relays one request's output to its gRPC call; knows whether the call was cancelled. Its
 * callbacks come from the model's thread, one at a time.
 */
abstract class Responder implements GenerationSink {
  protected final ServerCallStreamObserver<GenerateResponse> call;
  protected final String requestId;
  private volatile boolean cancelled;
  private boolean closed;

  Responder(ServerCallStreamObserver<GenerateResponse> call, String requestId) {
    this.call = call;
    this.requestId = requestId;
    call.setOnCancelHandler(() -> cancelled = true);
  }

  boolean isCancelled() {
    return cancelled;
  }

  @Override
  public final void onFinish(dev.vlm.server.generation.FinishReason reason, dev.vlm.server.generation.Usage usage) {
    if (closed || cancelled) {
      return;
    }
    closed = true;
    GenerateResponse.Builder last = lastMessage().setRequestId(requestId).setFinishReason(toProto(reason));
    last.setUsage(
        Usage.newBuilder()
            .setPromptTokens(usage.promptTokens())
            .setCompletionTokens(usage.completionTokens())
            .setImageTokens(usage.imageTokens()));
    call.onNext(last.build());
    call.onCompleted();
  }

  @Override
  public final void onError(RuntimeException error) {
    if (closed) {
      return;
    }
    closed = true;
    if (!cancelled) {
      call.onError(StatusMapper.toStatus(error, requestId));
    }
  }

  /** The final response's builder, holding whatever is not sent yet. */
  protected abstract GenerateResponse.Builder lastMessage();

  private static FinishReason toProto(dev.vlm.server.generation.FinishReason reason) {
    return switch (reason) {
      case EOS -> FinishReason.FINISH_REASON_EOS;
      case LENGTH -> FinishReason.FINISH_REASON_LENGTH;
      case STOP -> FinishReason.FINISH_REASON_STOP;
      case CANCELLED -> FinishReason.FINISH_REASON_CANCELLED;
    };
  }
}
