package dev.vlm.server.grpc;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.logging.Logger;

/**
 * Answers a request message that does not parse (invalid UTF-8 in a string field, a truncated
 * message, nesting beyond protobuf's limit) with INVALID_ARGUMENT. Left to grpc-java, the parse
 * failure is thrown where the transport hands over the message and the client gets UNKNOWN
 * ("Application error processing RPC"), which blames the server for the client's bytes.
 *
 * <p>{@link #guard} moves parsing into the call's listener (grpc-java's
 * {@link ServerInterceptors#useInputStreamMessages}), where this interceptor sees it fail.
 * Thread-safe: the listener of one call is driven serially by grpc-java.
 */
final class MalformedMessageGuard implements ServerInterceptor {
  private static final Logger log = Logger.getLogger(MalformedMessageGuard.class.getName());

  private MalformedMessageGuard() {}

  /** The service with its request messages parsed where a failure becomes INVALID_ARGUMENT. */
  static ServerServiceDefinition guard(ServerServiceDefinition service) {
    return ServerInterceptors.intercept(ServerInterceptors.useInputStreamMessages(service), new MalformedMessageGuard());
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    ServerCall.Listener<Q> delegate = next.startCall(call, headers);
    String method = call.getMethodDescriptor().getFullMethodName();
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
      private boolean refused;

      @Override
      public void onMessage(Q message) {
        if (refused) {
          return;
        }
        try {
          super.onMessage(message);
        } catch (StatusRuntimeException e) {
          // Parsing is the only thing here that throws: the stubs' listeners only hold the message.
          refused = true;
          String cause = e.getCause() == null ? e.getStatus().getDescription() : e.getCause().getMessage();
          log.fine(() -> "refused a malformed " + method + " request: " + cause);
          call.close(Status.INVALID_ARGUMENT.withDescription(
              "the request is not a valid protobuf message for " + method + ": " + cause), new Metadata());
        }
      }

      @Override
      public void onHalfClose() {
        if (!refused) {
          super.onHalfClose();
        }
      }

      @Override
      public void onReady() {
        if (!refused) {
          super.onReady();
        }
      }
    };
  }
}
