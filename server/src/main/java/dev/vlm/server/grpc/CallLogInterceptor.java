package dev.vlm.server.grpc;

import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.server.logging.LogFields;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.inprocess.InProcessSocketAddress;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Logs one line when a network call to the vlm.v1 services ends: method, status and duration,
 * with the request's id, tenant and model as {@link LogFields} (keys of their own with {@code
 * --log-format json}). Calls from the HTTP API arrive in-process and are logged by it, once per
 * HTTP request, so they are passed through here. Must run inside {@link TenantInterceptor}, whose
 * context names the tenant. Thread-safe.
 */
final class CallLogInterceptor implements ServerInterceptor {
  private static final Logger log = Logger.getLogger(CallLogInterceptor.class.getName());

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    if (call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR) instanceof InProcessSocketAddress) {
      return next.startCall(call, headers);
    }
    long start = System.nanoTime();
    String tenant = TenantInterceptor.current();
    String method = call.getMethodDescriptor().getFullMethodName();
    // Written by the call's listener, read when the call closes, possibly on another thread.
    AtomicReference<GenerateRequest> request = new AtomicReference<>();
    ServerCall<Q, R> logged = new SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        long millis = (System.nanoTime() - start) / 1_000_000;
        GenerateRequest sent = request.get();
        String id = sent == null ? null : sent.getRequestId();
        String model = sent == null ? null : sent.getModel();
        LogFields.of(
                LogFields.REQUEST_ID, id == null || id.isEmpty() ? null : id, LogFields.TENANT, tenant,
                LogFields.MODEL, model == null || model.isEmpty() ? null : model, "method", method,
                "status", status.getCode().name(), "duration_ms", millis)
            .log(log, Level.INFO, "grpc " + method + " " + status.getCode() + " in " + millis + " ms, tenant " + tenant
                + (model != null && !model.isEmpty() ? ", model " + model : "")
                + (id != null && !id.isEmpty() ? ", request " + id : ""));
        super.close(status, trailers);
      }
    };
    return new SimpleForwardingServerCallListener<>(next.startCall(logged, headers)) {
      @Override
      public void onMessage(Q message) {
        if (message instanceof GenerateRequest generate) {
          request.set(generate);
        }
        super.onMessage(message);
      }
    };
  }
}
