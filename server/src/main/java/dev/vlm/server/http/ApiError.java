package dev.vlm.server.http;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.OptionalLong;

/**
 * A failed HTTP request as the OpenAI API reports it: an HTTP status and the body {@code
 * {"error": {"message", "type", "param", "code"}}}. Thrown by request parsing, made from gRPC
 * statuses by {@link GrpcErrors}. Immutable.
 */
final class ApiError extends RuntimeException {
  private final int httpStatus;
  private final String type;
  private final String param;
  private final String code;
  private final OptionalLong retryAfterSeconds;

  ApiError(int httpStatus, String type, String message, String param, String code, OptionalLong retryAfterSeconds) {
    super(message, null, false, false);
    this.httpStatus = httpStatus;
    this.type = type;
    this.param = param;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** A 400 naming the request field at fault. */
  static ApiError badRequest(String param, String problem) {
    return new ApiError(400, "invalid_request_error", param + ": " + problem, param, null, OptionalLong.empty());
  }

  /** A 400 about the body as a whole (not JSON, not an object). */
  static ApiError invalidBody(String problem) {
    return new ApiError(400, "invalid_request_error", problem, null, null, OptionalLong.empty());
  }

  /** A 500 for a failure that is the server's fault. */
  static ApiError internal(Throwable cause) {
    return new ApiError(500, "internal_error", "internal error: " + cause, null, "internal_error", OptionalLong.empty());
  }

  int httpStatus() {
    return httpStatus;
  }

  String param() {
    return param;
  }

  /** Seconds a client should wait before retrying, for 429 and 503 responses that say so. */
  OptionalLong retryAfterSeconds() {
    return retryAfterSeconds;
  }

  /** The OpenAI error body. */
  ObjectNode body() {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    ObjectNode error = root.putObject("error");
    error.put("message", getMessage());
    error.put("type", type);
    error.put("param", param);
    error.put("code", code);
    return root;
  }
}
