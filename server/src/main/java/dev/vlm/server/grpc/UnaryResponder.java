package dev.vlm.server.grpc;

import dev.vlm.api.v1.GenerateResponse;
import io.grpc.stub.ServerCallStreamObserver;

/** Collects the whole output and sends it as one response. */
final class UnaryResponder extends Responder {
  private final GenerateResponse.Builder response = GenerateResponse.newBuilder();
  private final StringBuilder text = new StringBuilder();

  UnaryResponder(ServerCallStreamObserver<GenerateResponse> call, String requestId) {
    super(call, requestId);
  }

  @Override
  public void onTokens(int[] tokenIds, String newText) {
    for (int id : tokenIds) {
      response.addTokenIds(id);
    }
    text.append(newText);
  }

  @Override
  protected GenerateResponse.Builder lastMessage() {
    return response.setText(text.toString());
  }
}
