package dev.vlm.server.grpc;

import dev.vlm.server.auth.Authenticator;
import dev.vlm.server.auth.Caller;
import dev.vlm.server.auth.Credentials;
import dev.vlm.server.errors.InvalidArgumentException;
import dev.vlm.server.errors.UnauthenticatedException;
import dev.vlm.server.errors.VlmException;
import dev.vlm.server.metrics.TenantMetrics;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Establishes who is calling before any vlm.v1 method runs: reads the {@code authorization} and
 * {@code x-tenant} headers and the verified client certificate, asks the {@link Authenticator},
 * and makes the resulting {@link Caller} the call's {@link #caller()}. A refused call ends at once
 * with UNAUTHENTICATED (or INVALID_ARGUMENT for a malformed {@code x-tenant}), before the service
 * sees it. Install it on the vlm.v1 services only: health checks and reflection need no
 * credentials. A plain {@link ServerInterceptor}: it serves any gRPC server, including an
 * in-process one behind another front end that forwards the headers. Thread-safe.
 */
public final class AuthInterceptor implements ServerInterceptor {
  static final String TENANT_HEADER_NAME = "x-tenant";
  static final Metadata.Key<String> TENANT_HEADER =
      Metadata.Key.of(TENANT_HEADER_NAME, Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private static final Context.Key<Caller> CALLER = Context.key("vlm.caller");
  private static final Context.Key<Metadata> RESPONSE_HEADERS = Context.key("vlm.response-headers");

  private final Authenticator authenticator;
  private final TenantMetrics metrics;

  /**
   * @param metrics counts refused calls (as tenant {@value TenantMetrics#OTHER}: they have none)
   */
  public AuthInterceptor(Authenticator authenticator, TenantMetrics metrics) {
    this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
  }

  /**
   * The caller of the call being served on this thread.
   *
   * @throws IllegalStateException outside a call this interceptor admitted
   */
  static Caller caller() {
    Caller caller = CALLER.get();
    if (caller == null) {
      throw new IllegalStateException("no authenticated caller: the service is not behind AuthInterceptor");
    }
    return caller;
  }

  /**
   * Adds a header to the current call's response headers (or its trailers, if it ends before
   * sending headers). Call it before the call's first response.
   */
  static void addResponseHeader(Metadata.Key<String> key, String value) {
    Metadata extra = RESPONSE_HEADERS.get();
    if (extra != null) {
      extra.put(key, value);
    }
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    Caller caller;
    try {
      caller = authenticator.authenticate(new Credentials(
          Optional.ofNullable(headers.get(AUTHORIZATION)), clientCertificateCn(call), tenantHeader(headers)));
    } catch (VlmException e) {
      if (e instanceof UnauthenticatedException) {
        metrics.rejected(TenantMetrics.OTHER, "unauthenticated");
      }
      call.close(StatusMapper.toStatus(e).getStatus(), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    Metadata extra = new Metadata();
    Context context = Context.current().withValue(CALLER, caller).withValue(RESPONSE_HEADERS, extra);
    return Contexts.interceptCall(context, new ExtraHeaders<>(call, extra), headers, next);
  }

  /**
   * @throws InvalidArgumentException if the header is sent more than once
   */
  static Optional<String> tenantHeader(Metadata headers) {
    Iterable<String> sent = headers.getAll(TENANT_HEADER);
    if (sent == null) {
      return Optional.empty();
    }
    List<String> values = new ArrayList<>();
    sent.forEach(values::add);
    if (values.size() > 1) {
      throw new InvalidArgumentException(TENANT_HEADER_NAME, "header is sent " + values.size() + " times; send it once");
    }
    return Optional.of(values.getFirst());
  }

  /** The subject CN of the client's verified certificate, on a mutual-TLS connection. */
  private static Optional<String> clientCertificateCn(ServerCall<?, ?> call) {
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    if (session == null) {
      return Optional.empty();
    }
    try {
      Certificate[] chain = session.getPeerCertificates();
      if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
        return Optional.empty();
      }
      for (Rdn rdn : new LdapName(leaf.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          return Optional.of(rdn.getValue().toString());
        }
      }
      return Optional.empty();
    } catch (SSLPeerUnverifiedException | InvalidNameException e) {
      return Optional.empty();
    }
  }

  /** Sends the headers the service added alongside the call's own. */
  private static final class ExtraHeaders<ReqT, RespT> extends ForwardingServerCall.SimpleForwardingServerCall<ReqT, RespT> {
    private final Metadata extra;
    private boolean headersSent;

    ExtraHeaders(ServerCall<ReqT, RespT> call, Metadata extra) {
      super(call);
      this.extra = extra;
    }

    @Override
    public void sendHeaders(Metadata headers) {
      headersSent = true;
      headers.merge(extra);
      super.sendHeaders(headers);
    }

    @Override
    public void close(Status status, Metadata trailers) {
      if (!headersSent) {
        trailers.merge(extra);
      }
      super.close(status, trailers);
    }
  }
}
