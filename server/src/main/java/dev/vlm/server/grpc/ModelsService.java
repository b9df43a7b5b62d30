package dev.vlm.server.grpc;

import dev.vlm.api.v1.GetModelRequest;
import dev.vlm.api.v1.ListModelsRequest;
import dev.vlm.api.v1.ListModelsResponse;
import dev.vlm.api.v1.LoadModelRequest;
import dev.vlm.api.v1.ModelInfo;
import dev.vlm.api.v1.ModelState;
import dev.vlm.api.v1.ModelsGrpc;
import dev.vlm.api.v1.UnloadModelRequest;
import dev.vlm.server.auth.Caller;
import dev.vlm.server.auth.TenantAccess;
import dev.vlm.server.serving.ModelRegistry;
import dev.vlm.server.serving.ModelStatus;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * The {@code vlm.v1.Models} service: what is served, in what state; loading and unloading. Each
 * tenant sees only the models it may use; loading and unloading need role admin.
 */
final class ModelsService extends ModelsGrpc.ModelsImplBase {
  private final ModelRegistry registry;
  private final TenantAccess access;

  ModelsService(ModelRegistry registry, TenantAccess access) {
    this.registry = registry;
    this.access = access;
  }

  /** Lists the models the caller's tenant may see. */
  @Override
  public void listModels(ListModelsRequest request, StreamObserver<ListModelsResponse> observer) {
    Caller caller = AuthInterceptor.caller();
    ListModelsResponse.Builder response = ListModelsResponse.newBuilder();
    registry.list().stream()
        .filter(status -> access.sees(caller, status.name()))
        .forEach(status -> response.addModels(toProto(status)));
    observer.onNext(response.build());
    observer.onCompleted();
  }

  @Override
  public void getModel(GetModelRequest request, StreamObserver<ModelInfo> observer) {
    try {
      access.checkModel(AuthInterceptor.caller(), request.getName(), registry.names());
      observer.onNext(toProto(registry.get(request.getName()).status()));
      observer.onCompleted();
    } catch (RuntimeException e) {
      observer.onError(StatusMapper.toStatus(e));
    }
  }

  /** Admins only (PERMISSION_DENIED otherwise). */
  @Override
  public void loadModel(LoadModelRequest request, StreamObserver<ModelInfo> observer) {
    replyWhenDone(() -> {
      checkAdmin("LoadModel", request.getName());
      return registry.load(request.getName());
    }, observer);
  }

  /** Admins only (PERMISSION_DENIED otherwise). */
  @Override
  public void unloadModel(UnloadModelRequest request, StreamObserver<ModelInfo> observer) {
    replyWhenDone(() -> {
      checkAdmin("UnloadModel", request.getName());
      return registry.unload(request.getName(), request.getDrain());
    }, observer);
  }

  private void checkAdmin(String action, String model) {
    Caller caller = AuthInterceptor.caller();
    access.requireAdmin(caller, action);
    access.checkModel(caller, model, registry.names());
  }

  /** Answers when the load or unload completes, without holding a handler thread meanwhile. */
  private static void replyWhenDone(Supplier<CompletableFuture<ModelStatus>> action, StreamObserver<ModelInfo> observer) {
    CompletableFuture<ModelStatus> done;
    try {
      done = action.get();
    } catch (RuntimeException e) {
      observer.onError(StatusMapper.toStatus(e));
      return;
    }
    done.whenComplete((status, failure) -> {
      if (failure != null) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        observer.onError(StatusMapper.toStatus(cause));
      } else {
        observer.onNext(toProto(status));
        observer.onCompleted();
      }
    });
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
        .setSource(s.source())
        .setMaxContextTokens(s.maxContextTokens())
        .setLastLoadMillis(s.lastLoadMillis())
        .setLastUsedUnixMillis(s.lastUsedEpochMillis())
        .setPinned(s.pinned())
        .setInFlightRequests(s.inFlightRequests())
        .putAllGraphDtypes(s.graphDtypes())
        .setDownloadDoneBytes(s.download().doneBytes())
        .setDownloadTotalBytes(s.download().totalBytes())
        .setDownloadFile(s.download().file())
        .build();
  }
}
