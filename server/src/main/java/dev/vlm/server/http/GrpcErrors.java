package dev.vlm.server.http;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.RetryInfo;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one place where gRPC statuses become OpenAI errors. The gRPC service names the field at
 * fault in its own terms ({@code sampling.top_p: must be ...}); the HTTP client sent OpenAI's
 * names, so the field is renamed before it is shown.
 */
final class GrpcErrors {
  /** What a 429 or 503 tells the client to wait when the status carries no RetryInfo. */
  static final long DEFAULT_RETRY_AFTER_SECONDS = 1;

  // "<field path>: <problem>", the form of every INVALID_ARGUMENT the gRPC service sends.
  private static final Pattern FIELD_PREFIX = Pattern.compile("^([a-z_-]+(?:\\[\\d+\\])?(?:\\.[a-z_]+(?:\\[\\d+\\])?)*): ");

  private GrpcErrors() {}

  static ApiError toApiError(Status status, Metadata trailers) {
    String message = status.getDescription() != null ? status.getDescription() : status.getCode().toString();
    return switch (status.getCode()) {
      case INVALID_ARGUMENT, OUT_OF_RANGE, FAILED_PRECONDITION -> invalidArgument(message);
      case UNAUTHENTICATED -> error(401, "authentication_error", message, "invalid_api_key");
      case PERMISSION_DENIED -> error(403, "permission_error", message, "permission_denied");
      case NOT_FOUND -> error(404, "not_found_error", message, "model_not_found");
      case RESOURCE_EXHAUSTED ->
          new ApiError(429, "rate_limit_error", message, null, "rate_limit_exceeded", retryAfter(status, trailers));
      case UNAVAILABLE, CANCELLED ->
          new ApiError(503, "service_unavailable_error", message, null, "service_unavailable",
              retryAfter(status, trailers));
      case DEADLINE_EXCEEDED -> error(504, "timeout_error", message, "timeout");
      case UNIMPLEMENTED -> error(501, "not_implemented_error", message, "not_implemented");
      default -> error(500, "internal_error", message, "internal_error");
    };
  }

  private static ApiError error(int httpStatus, String type, String message, String code) {
    return new ApiError(httpStatus, type, message, null, code, OptionalLong.empty());
  }

  private static ApiError invalidArgument(String message) {
    Matcher m = FIELD_PREFIX.matcher(message);
    if (!m.find()) {
      return new ApiError(400, "invalid_request_error", message, null, null, OptionalLong.empty());
    }
    String param = openAiName(m.group(1));
    return new ApiError(
        400, "invalid_request_error", param + ": " + message.substring(m.end()), param, null, OptionalLong.empty());
  }

  /** The OpenAI request field a gRPC field path came from. */
  static String openAiName(String grpcField) {
    if (grpcField.equals("sampling.max_new_tokens")) {
      return "max_tokens";
    }
    if (grpcField.startsWith("sampling.")) {
      return grpcField.substring("sampling.".length());
    }
    // messages[i].content[j].image.uri (or .data, for a fetched URL) was an image_url part.
    return grpcField.replaceFirst("\\.image(\\.uri|\\.data)?$", ".image_url");
  }

  /** The status's google.rpc.RetryInfo delay in whole seconds (rounded up), else the default. */
  private static OptionalLong retryAfter(Status status, Metadata trailers) {
    com.google.rpc.Status details = trailers == null ? null : StatusProto.fromStatusAndTrailers(status, trailers);
    if (details != null) {
      for (Any any : details.getDetailsList()) {
        if (any.is(RetryInfo.class)) {
          try {
            com.google.protobuf.Duration delay = any.unpack(RetryInfo.class).getRetryDelay();
            return OptionalLong.of(Math.max(1, delay.getSeconds() + (delay.getNanos() > 0 ? 1 : 0)));
          } catch (InvalidProtocolBufferException e) {
            break;
          }
        }
      }
    }
    return OptionalLong.of(DEFAULT_RETRY_AFTER_SECONDS);
  }
}
