package dev.vlm.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.vlm.api.v1.InferenceGrpc;
import io.grpc.Channel;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.time.Clock;

/**
 * {@code POST /v1/chat/completions} and {@code POST /v1/completions}: parse the body on a worker
 * thread (it may hold megabytes of base64 images, or name a remote image to fetch), then run the
 * request through the in-process gRPC service and relay its answer, whole or streamed.
 * Thread-safe.
 */
final class GenerationRoutes {
  private final Vertx vertx;
  private final Channel channel;
  private final ChatRequests chat;
  private final CompletionRequests completions = new CompletionRequests();
  private final Clock clock;

  GenerationRoutes(Vertx vertx, Channel channel, ImageUrls images, Clock clock) {
    this.vertx = vertx;
    this.channel = channel;
    this.chat = new ChatRequests(images);
    this.clock = clock;
  }

  void chat(RoutingContext rc) {
    generate(rc, Replies.Kind.CHAT);
  }

  void completion(RoutingContext rc) {
    generate(rc, Replies.Kind.COMPLETION);
  }

  private void generate(RoutingContext rc, Replies.Kind kind) {
    Exchange exchange = new Exchange(vertx.getOrCreateContext(), rc.request());
    byte[] body = rc.body().buffer() == null ? new byte[0] : rc.body().buffer().getBytes();
    vertx.<OpenAiRequest>executeBlocking(() -> parse(kind, body, exchange.requestId()), false)
        .onComplete(parsed -> {
          if (parsed.failed()) {
            exchange.error(parsed.cause() instanceof ApiError e ? e : ApiError.internal(parsed.cause()));
            return;
          }
          start(exchange, kind, parsed.result(), rc);
        });
  }

  private OpenAiRequest parse(Replies.Kind kind, byte[] body, String requestId) {
    JsonNode json;
    try {
      json = Exchange.JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw ApiError.invalidBody("the body is not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw ApiError.invalidBody("the body cannot be read: " + e.getMessage());
    }
    if (json == null || !json.isObject()) {
      throw ApiError.invalidBody("the body must be a JSON object");
    }
    return kind == Replies.Kind.CHAT ? chat.parse(json, requestId) : completions.parse(json, requestId);
  }

  private void start(Exchange exchange, Replies.Kind kind, OpenAiRequest request, RoutingContext rc) {
    exchange.model(request.grpc().getModel());
    if (exchange.clientGone()) {
      return;
    }
    Replies replies = new Replies(kind, exchange.requestId(), clock.instant().getEpochSecond(), request);
    InferenceGrpc.InferenceStub stub = ForwardedHeaders.attach(InferenceGrpc.newStub(channel), rc.request());
    if (request.stream()) {
      stub.generateStream(request.grpc(), new StreamReply(exchange, replies, request));
    } else {
      stub.generate(request.grpc(), new UnaryReply(exchange, replies));
    }
  }

}
