package dev.vlm.e2e;

import dev.vlm.api.v1.GenerateRequest;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.MethodDescriptor;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records the {@link GenerateRequest}s a client sends, unchanged, on their way out. */
final class RequestRecorder implements ClientInterceptor {
  private final List<GenerateRequest> sent = new CopyOnWriteArrayList<>();

  @Override
  public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
    return new SimpleForwardingClientCall<>(next.newCall(method, options)) {
      @Override
      public void sendMessage(Q message) {
        if (message instanceof GenerateRequest request) {
          sent.add(request);
        }
        super.sendMessage(message);
      }
    };
  }

  /** The requests sent so far, in order. */
  List<GenerateRequest> sent() {
    return List.copyOf(sent);
  }
}
