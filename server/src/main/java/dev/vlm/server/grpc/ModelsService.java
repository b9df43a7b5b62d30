package dev.vlm.server.grpc;

import dev.vlm.api.v1.GetModelRequest;
import dev.vlm.api.v1.ListModelsRequest;
import dev.vlm.api.v1.ListModelsResponse;
import dev.vlm.api.v1.ModelInfo;
import dev.vlm.api.v1.ModelState;
import dev.vlm.api.v1.ModelsGrpc;
import dev.vlm.server.serving.ModelRegistry;
import dev.vlm.server.serving.ModelStatus;
import io.grpc.stub.StreamObserver;

/** The {@code vlm.v1.Models} service: what is served, and in what state. */
final class ModelsService extends ModelsGrpc.ModelsImplBase {
  private final ModelRegistry registry;

  ModelsService(ModelRegistry registry) {
    this.registry = registry;
  }

  @Override
  public void listModels(ListModelsRequest request, StreamObserver<ListModelsResponse> observer) {
    ListModelsResponse.Builder response = ListModelsResponse.newBuilder();
    registry.list().forEach(status -> response.addModels(toProto(status)));
    observer.onNext(response.build());
    observer.onCompleted();
  }

  @Override
  public void getModel(GetModelRequest request, StreamObserver<ModelInfo> observer) {
    try {
      observer.onNext(toProto(registry.get(request.getName()).status()));
      observer.onCompleted();
    } catch (RuntimeException e) {
      observer.onError(StatusMapper.toStatus(e));
    }
  }

  private static ModelInfo toProto(ModelStatus s) {
    return ModelInfo.newBuilder()
        .setName(s.name())
        .setFamily(s.family())
        .setState(
            switch (s.state()) {
              case AVAILABLE -> ModelState.MODEL_STATE_AVAILABLE;
              case LOADING -> ModelState.MODEL_STATE_LOADING;
              case LOADED -> ModelState.MODEL_STATE_LOADED;
              case UNLOADING -> ModelState.MODEL_STATE_UNLOADING;
              case FAILED -> ModelState.MODEL_STATE_FAILED;
            })
        .setError(s.error() == null ? "" : s.error())
        .setReservedBytes(s.reservedBytes())
        .setSource(s.source().toString())
        .setMaxContextTokens(s.maxContextTokens())
        .setLastLoadMillis(s.lastLoadMillis())
        .build();
  }
}
