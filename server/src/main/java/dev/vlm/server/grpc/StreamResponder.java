package dev.vlm.server.grpc;

import dev.vlm.api.v1.GenerateResponse;
import io.grpc.stub.ServerCallStreamObserver;

/** Sends each step's new tokens and text as its own response. */
final class StreamResponder extends Responder {
  StreamResponder(ServerCallStreamObserver<GenerateResponse> call, String requestId) {
    super(call, requestId);
  }

  @Override
  public void onTokens(int[] tokenIds, String text) {
    if (isCancelled()) {
      return;
    }
    GenerateResponse.Builder delta = GenerateResponse.newBuilder().setRequestId(requestId).setText(text);
    for (int id : tokenIds) {
      delta.addTokenIds(id);
    }
    call.onNext(delta.build());
  }

  @Override
  protected GenerateResponse.Builder lastMessage() {
    return GenerateResponse.newBuilder();
  }
}
