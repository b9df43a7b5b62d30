package dev.vlm.server.grpc;

import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.server.auth.Caller;
import dev.vlm.server.auth.Quotas;
import dev.vlm.server.auth.Security;
import dev.vlm.server.auth.TenantAccess;
import dev.vlm.server.errors.ModelNotFoundException;
import dev.vlm.server.generation.GenerationRequest;
import dev.vlm.server.metrics.TenantMetrics;
import dev.vlm.server.serving.ModelRegistry;
import dev.vlm.server.serving.ServedModel;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * The {@code vlm.v1.Inference} service: validates a request, hands it to its model's queue and
 * relays the output. A cancelled call (client cancel, disconnect or passed deadline), or a
 * stream whose client cannot keep up, stops the request's generation at the next step.
 */
final class InferenceService extends InferenceGrpc.InferenceImplBase {
  /** Response header present when the request's priority was lowered to its tenant's ceiling: the priority used. */
  static final Metadata.Key<String> PRIORITY_CLAMPED =
      Metadata.Key.of("x-vlm-priority-clamped", Metadata.ASCII_STRING_MARSHALLER);

  private final ModelRegistry registry;
  private final TenantAccess access;
  private final Quotas quotas;
  private final TenantMetrics tenantMetrics;
  private final RequestParser parser;
  private final int maxPendingStreamMessages;
  private final Executor streamWriter;

  /**
   * @param maxPendingStreamMessages responses a stream may hold for a slow client before the
   *     request is aborted with RESOURCE_EXHAUSTED
   * @param streamWriter runs the short, non-blocking writes of streamed output, so the model's
   *     thread never writes to the network
   */
  InferenceService(
      ModelRegistry registry, RequestParser parser, int maxPendingStreamMessages, Executor streamWriter,
      Security security, TenantMetrics tenantMetrics) {
    this.registry = registry;
    this.access = security.access();
    this.quotas = security.quotas();
    this.tenantMetrics = tenantMetrics;
    this.parser = parser;
    this.maxPendingStreamMessages = maxPendingStreamMessages;
    this.streamWriter = streamWriter;
  }

  @Override
  public void generate(GenerateRequest request, StreamObserver<GenerateResponse> observer) {
    start(request, new UnaryResponder((ServerCallStreamObserver<GenerateResponse>) observer, request.getRequestId()));
  }

  @Override
  public void generateStream(GenerateRequest request, StreamObserver<GenerateResponse> observer) {
    start(
        request,
        new StreamResponder(
            (ServerCallStreamObserver<GenerateResponse>) observer,
            request.getRequestId(),
            maxPendingStreamMessages,
            streamWriter));
  }

  /** The call's deadline on the scheduler's clock, so the scheduler can drop it in time. */
  private static OptionalLong deadlineNanos() {
    Deadline deadline = Context.current().getDeadline();
    return deadline == null
        ? OptionalLong.empty()
        : OptionalLong.of(System.nanoTime() + deadline.timeRemaining(TimeUnit.NANOSECONDS));
  }

  /**
   * Checks in order: model named, model visible to the tenant (NOT_FOUND as if unknown), request
   * valid, tenant within its quotas; then clamps the priority and queues the request.
   */
  private void start(GenerateRequest request, Responder plain) {
    Caller caller = AuthInterceptor.caller();
    AccountedResponder responder =
        new AccountedResponder(
            plain, request.getRequestId(), caller.tenant(), request.getModel(), tenantMetrics, streamWriter);
    try {
      String name = RequestParser.modelName(request);
      try {
        access.checkModel(caller, name, registry.names());
      } catch (ModelNotFoundException e) {
        tenantMetrics.rejected(caller.tenant(), "model_not_found");
        throw e;
      }
      ServedModel model = registry.get(name);
      GenerationRequest parsed = parser.parse(request, caller.tenant(), deadlineNanos());
      int priority = quotas.clampPriority(caller.tenant(), parsed.priority());
      if (priority != parsed.priority()) {
        AuthInterceptor.addResponseHeader(PRIORITY_CLAMPED, Integer.toString(priority));
        parsed = parsed.withPriority(priority);
      }
      try {
        responder.holding(quotas.acquire(caller.tenant()));
      } catch (Quotas.QuotaExceededException e) {
        tenantMetrics.rejected(caller.tenant(), e.rejection().name().toLowerCase(Locale.ROOT));
        throw e.status();
      }
      model.submit(parsed, responder, responder::isCancelled);
    } catch (RuntimeException e) {
      responder.onError(e);
    } catch (Error e) {
      // An Error here (the heap running out while preparing one request) must still end the
      // call with a status; grpc-java would answer UNKNOWN and the handler thread would die.
      responder.onError(new IllegalStateException("request failed: " + e, e));
    }
  }
}
