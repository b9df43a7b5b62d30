package dev.vlm.server.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vlm.api.v1.GetModelRequest;
import dev.vlm.api.v1.ListModelsRequest;
import dev.vlm.api.v1.ListModelsResponse;
import dev.vlm.api.v1.ModelInfo;
import dev.vlm.api.v1.ModelsGrpc;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Consumer;

/**
 * {@code GET /v1/models}, {@code GET /v1/models/{model}} and {@code GET /health}, answered from
 * the gRPC Models and health services in-process.
 */
final class CatalogRoutes {
  private final Vertx vertx;
  private final Channel channel;
  private final long createdEpochSeconds;

  CatalogRoutes(Vertx vertx, Channel channel, long createdEpochSeconds) {
    this.vertx = vertx;
    this.channel = channel;
    this.createdEpochSeconds = createdEpochSeconds;
  }

  void list(RoutingContext rc) {
    Exchange exchange = exchange(rc);
    ForwardedHeaders.attach(ModelsGrpc.newStub(channel), rc.request())
        .listModels(ListModelsRequest.getDefaultInstance(), observer(exchange, (ListModelsResponse list) -> {
          ObjectNode root = JsonNodeFactory.instance.objectNode().put("object", "list");
          ArrayNode data = root.putArray("data");
          list.getModelsList().forEach(m -> data.add(model(m)));
          exchange.json(200, root);
        }));
  }

  void get(RoutingContext rc) {
    Exchange exchange = exchange(rc);
    String name = rc.pathParam("model");
    exchange.model(name);
    ForwardedHeaders.attach(ModelsGrpc.newStub(channel), rc.request())
        .getModel(GetModelRequest.newBuilder().setName(name).build(),
            observer(exchange, (ModelInfo m) -> exchange.json(200, model(m))));
  }

  /** 200 while the server serves, 503 once it drains (the gRPC health service's answer). */
  void health(RoutingContext rc) {
    Exchange exchange = exchange(rc);
    HealthGrpc.newStub(channel).check(HealthCheckRequest.getDefaultInstance(), observer(exchange,
        (HealthCheckResponse h) -> {
          if (h.getStatus() == HealthCheckResponse.ServingStatus.SERVING) {
            exchange.json(200, JsonNodeFactory.instance.objectNode().put("status", "serving"));
          } else {
            exchange.error(GrpcErrors.toApiError(Status.UNAVAILABLE.withDescription("the server is " + h.getStatus()),
                null));
          }
        }));
  }

  private Exchange exchange(RoutingContext rc) {
    return new Exchange(vertx.getOrCreateContext(), rc.request());
  }

  private ObjectNode model(ModelInfo m) {
    ObjectNode model = JsonNodeFactory.instance.objectNode()
        .put("id", m.getName())
        .put("object", "model")
        .put("created", createdEpochSeconds)
        .put("owned_by", "vlm-server");
    // Known once the model has been opened; vLLM's name for it.
    if (m.getMaxContextTokens() > 0) {
      model.put("max_model_len", m.getMaxContextTokens());
    }
    return model;
  }

  /** Relays a unary gRPC answer on the event loop; a failure becomes the mapped OpenAI error. */
  private static <T> StreamObserver<T> observer(Exchange exchange, Consumer<T> onValue) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        exchange.run(() -> onValue.accept(value));
      }

      @Override
      public void onError(Throwable t) {
        // Unavailable during shutdown reads as "not serving", which is what a probe should see.
        exchange.run(() -> exchange.error(GrpcErrors.toApiError(Status.fromThrowable(t), Status.trailersFromThrowable(t))));
      }

      @Override
      public void onCompleted() {}
    };
  }
}
