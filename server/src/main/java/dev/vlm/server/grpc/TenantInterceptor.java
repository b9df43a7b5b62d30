package dev.vlm.server.grpc;

import dev.vlm.server.errors.InvalidArgumentException;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Reads the caller's tenant from the {@code x-tenant} request header and makes it the call's
 * {@link #current() tenant}. A call without the header belongs to {@value #DEFAULT_TENANT}; a
 * malformed one is refused with INVALID_ARGUMENT naming the header. Thread-safe.
 */
final class TenantInterceptor implements ServerInterceptor {
  static final String HEADER_NAME = "x-tenant";
  static final String DEFAULT_TENANT = "default";
  static final int MAX_LENGTH = 64;

  private static final Metadata.Key<String> HEADER = Metadata.Key.of(HEADER_NAME, Metadata.ASCII_STRING_MARSHALLER);
  private static final Context.Key<String> TENANT = Context.keyWithDefault("vlm.tenant", DEFAULT_TENANT);
  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._-]{1," + MAX_LENGTH + "}");

  /** The tenant of the call being served on this thread ({@value #DEFAULT_TENANT} outside a call). */
  static String current() {
    return TENANT.get();
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    String tenant;
    try {
      tenant = tenantOf(headers);
    } catch (InvalidArgumentException e) {
      call.close(StatusMapper.toStatus(e).getStatus(), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return Contexts.interceptCall(Context.current().withValue(TENANT, tenant), call, headers, next);
  }

  /**
   * @throws InvalidArgumentException if the header is sent more than once or is not 1 to 64
   *     characters of letters, digits, '.', '_' and '-'
   */
  static String tenantOf(Metadata headers) {
    Iterable<String> sent = headers.getAll(HEADER);
    if (sent == null) {
      return DEFAULT_TENANT;
    }
    List<String> values = new ArrayList<>();
    sent.forEach(values::add);
    if (values.size() > 1) {
      throw new InvalidArgumentException(HEADER_NAME, "header is sent " + values.size() + " times; send it once");
    }
    String tenant = values.getFirst();
    if (!VALID.matcher(tenant).matches()) {
      String shown = tenant.length() > MAX_LENGTH ? tenant.substring(0, MAX_LENGTH) + "..." : tenant;
      throw new InvalidArgumentException(
          HEADER_NAME,
          "header must be 1 to " + MAX_LENGTH + " characters of A-Z, a-z, 0-9, '.', '_' and '-', got \"" + shown
              + "\" (" + tenant.length() + " characters)");
    }
    return tenant;
  }
}
