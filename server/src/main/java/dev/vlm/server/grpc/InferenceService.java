package dev.vlm.server.grpc;

import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.server.generation.GenerationRequest;
import dev.vlm.server.serving.ModelRegistry;
import dev.vlm.server.serving.ServedModel;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

/**
 * The {@code vlm.v1.Inference} service: validates a request, hands it to its model's queue and
 * relays the output. A cancelled call (client cancel, disconnect or passed deadline) stops the
 * request's generation at the next step.
 */
final class InferenceService extends InferenceGrpc.InferenceImplBase {
  private final ModelRegistry registry;
  private final RequestParser parser;

  InferenceService(ModelRegistry registry, RequestParser parser) {
    this.registry = registry;
    this.parser = parser;
  }

  @Override
  public void generate(GenerateRequest request, StreamObserver<GenerateResponse> observer) {
    start(request, new UnaryResponder((ServerCallStreamObserver<GenerateResponse>) observer, request.getRequestId()));
  }

  @Override
  public void generateStream(GenerateRequest request, StreamObserver<GenerateResponse> observer) {
    start(request, new StreamResponder((ServerCallStreamObserver<GenerateResponse>) observer, request.getRequestId()));
  }

  private void start(GenerateRequest request, Responder responder) {
    try {
      ServedModel model = registry.get(RequestParser.modelName(request));
      GenerationRequest parsed = parser.parse(request);
      model.submit(parsed, responder, responder::isCancelled);
    } catch (RuntimeException e) {
      responder.onError(e);
    }
  }
}
