package dev.vlm.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vlm.api.v1.FinishReason;
import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.GenerateResponse;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.vertx.core.http.HttpServerResponse;
import java.util.List;

/**
 * Relays a {@code GenerateStream} call as server-sent events: one {@code data:} chunk per gRPC
 * response, a chunk with the finish reason, the usage chunk when asked for, then {@code data:
 * [DONE]}.
 *
 * <p>Headers go out with the first response, so a request refused before generating (unknown
 * model, bad field, full queue) still gets its HTTP status; a failure after that arrives as a
 * {@code data:} event with the OpenAI error body. Flow control runs end to end: the next gRPC
 * response is requested only once the HTTP connection has taken the previous one, so a slow
 * reader holds output back in the gRPC service, whose stream limits then apply. A client that
 * disconnects cancels the call.
 */
final class StreamReply implements ClientResponseObserver<GenerateRequest, GenerateResponse> {
  private final Exchange exchange;
  private final Replies replies;
  private final boolean includeUsage;
  private final boolean returnTokenIds;
  private ClientCallStreamObserver<GenerateRequest> call;
  // Confined to the event loop.
  private boolean started;

  StreamReply(Exchange exchange, Replies replies, OpenAiRequest request) {
    this.exchange = exchange;
    this.replies = replies;
    this.includeUsage = request.includeUsage();
    this.returnTokenIds = request.returnTokenIds();
  }

  @Override
  public void beforeStart(ClientCallStreamObserver<GenerateRequest> call) {
    this.call = call;
    call.disableAutoRequestWithInitial(1);
    exchange.onClientGone(() -> call.cancel("the HTTP client disconnected", null));
  }

  @Override
  public void onNext(GenerateResponse value) {
    exchange.run(() -> relay(value));
  }

  private void relay(GenerateResponse value) {
    HttpServerResponse response = exchange.response();
    if (exchange.clientGone() || response.ended()) {
      return;
    }
    boolean first = !started;
    if (first) {
      started = true;
      response.setStatusCode(200)
          .putHeader("content-type", "text/event-stream")
          .putHeader("cache-control", "no-cache")
          .setChunked(true);
    }
    boolean hasIds = returnTokenIds && value.getTokenIdsCount() > 0;
    if (first || !value.getText().isEmpty() || hasIds) {
      event(replies.chunk(value.getText(), value.getTokenIdsList(), first, null));
    }
    if (value.getFinishReason() != FinishReason.FINISH_REASON_UNSPECIFIED) {
      event(replies.chunk("", List.of(), false, Replies.finishReason(value.getFinishReason())));
      if (includeUsage) {
        event(replies.usageChunk(value.getUsage()));
      }
      response.end("data: [DONE]\n\n");
      return;
    }
    if (response.writeQueueFull()) {
      response.drainHandler(v -> call.request(1));
    } else {
      call.request(1);
    }
  }

  private void event(JsonNode chunk) {
    exchange.response().write("data: " + Exchange.toJson(chunk) + "\n\n");
  }

  @Override
  public void onError(Throwable t) {
    ApiError error = GrpcErrors.toApiError(Status.fromThrowable(t), Status.trailersFromThrowable(t));
    exchange.run(() -> {
      HttpServerResponse response = exchange.response();
      if (!started) {
        exchange.error(error);
      } else if (!exchange.clientGone() && !response.ended()) {
        event(error.body());
        response.end("data: [DONE]\n\n");
      }
    });
  }

  @Override
  public void onCompleted() {
    exchange.run(() -> {
      HttpServerResponse response = exchange.response();
      if (!started) {
        exchange.error(GrpcErrors.toApiError(Status.INTERNAL.withDescription("the stream ended without output"), null));
      } else if (!exchange.clientGone() && !response.ended()) {
        response.end("data: [DONE]\n\n");
      }
    });
  }
}
