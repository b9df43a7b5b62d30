package dev.vlm.server.http;

import io.grpc.Metadata;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import io.vertx.core.http.HttpServerRequest;
import java.util.List;

/**
 * The HTTP request headers that mean the same on a gRPC call and are passed on as its metadata:
 * {@code authorization} (API keys, checked by the gRPC service's interceptors) and {@code
 * x-tenant}. Each value is forwarded as sent (a repeated header stays repeated), so the gRPC side
 * judges it exactly as it would a gRPC client's.
 */
final class ForwardedHeaders {
  private static final List<String> NAMES = List.of("authorization", "x-tenant");

  private ForwardedHeaders() {}

  /** {@code stub}, sending the request's forwarded headers on every call. */
  static <S extends AbstractStub<S>> S attach(S stub, HttpServerRequest request) {
    Metadata metadata = new Metadata();
    for (String name : NAMES) {
      Metadata.Key<String> key = Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER);
      for (String value : request.headers().getAll(name)) {
        metadata.put(key, value);
      }
    }
    return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata));
  }
}
