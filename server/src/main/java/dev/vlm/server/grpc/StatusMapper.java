package dev.vlm.server.grpc;

import com.google.protobuf.Any;
import com.google.rpc.Code;
import com.google.rpc.RetryInfo;
import dev.vlm.server.errors.DeadlineExceededException;
import dev.vlm.server.errors.InvalidArgumentException;
import dev.vlm.server.errors.ModelBusyException;
import dev.vlm.server.errors.ModelNotFoundException;
import dev.vlm.server.errors.ModelUnavailableException;
import dev.vlm.server.errors.PermissionDeniedException;
import dev.vlm.server.errors.RequestCancelledException;
import dev.vlm.server.errors.ResourceExhaustedException;
import dev.vlm.server.errors.UnauthenticatedException;
import dev.vlm.server.errors.VlmException;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The one place where failures become gRPC statuses. Client faults keep their message;
 * anything unexpected becomes INTERNAL and is logged with its stack trace, never UNKNOWN.
 */
final class StatusMapper {
  private static final Logger log = Logger.getLogger(StatusMapper.class.getName());

  /**
   * The longest description a status carries. Statuses travel in trailers, which the transport
   * caps (64 KiB by default); a longer one would leave the call without an end.
   */
  static final int MAX_DESCRIPTION = 4096;

  private StatusMapper() {}

  static StatusException toStatus(Throwable error) {
    return toStatus(error, "");
  }

  /**
   * @param requestId the request's id, for the log line of an unexpected failure
   */
  static StatusException toStatus(Throwable error, String requestId) {
    if (error instanceof StatusException se) {
      return se;
    }
    if (error instanceof StatusRuntimeException sre) {
      return new StatusException(sre.getStatus(), sre.getTrailers());
    }
    if (error instanceof ResourceExhaustedException e && e.retryAfter().isPresent()) {
      return withRetryInfo(e.getMessage(), e.retryAfter().get());
    }
    Status status =
        switch (error) {
          case VlmException v -> forTaxonomy(v);
          default -> {
            log.log(Level.SEVERE, "request " + requestId + " failed unexpectedly", error);
            yield Status.INTERNAL.withDescription("internal error: " + error);
          }
        };
    return bounded(status).asException();
  }

  private static Status bounded(Status status) {
    String description = status.getDescription();
    if (description == null || description.length() <= MAX_DESCRIPTION) {
      return status;
    }
    return status.withDescription(description.substring(0, MAX_DESCRIPTION) + "... (description cut at "
        + MAX_DESCRIPTION + " of " + description.length() + " characters)");
  }

  private static Status forTaxonomy(VlmException error) {
    Status status =
        switch (error) {
          case InvalidArgumentException e -> Status.INVALID_ARGUMENT;
          case ModelNotFoundException e -> Status.NOT_FOUND;
          case ModelUnavailableException e -> Status.UNAVAILABLE;
          case ResourceExhaustedException e -> Status.RESOURCE_EXHAUSTED;
          case RequestCancelledException e -> Status.CANCELLED;
          case DeadlineExceededException e -> Status.DEADLINE_EXCEEDED;
          case ModelBusyException e -> Status.FAILED_PRECONDITION;
          case UnauthenticatedException e -> Status.UNAUTHENTICATED;
          case PermissionDeniedException e -> Status.PERMISSION_DENIED;
        };
    return status.withDescription(error.getMessage());
  }

  /** The code {@link #toStatus} gives {@code error}, without logging anything. */
  static Status.Code codeOf(Throwable error) {
    return switch (error) {
      case StatusException se -> se.getStatus().getCode();
      case StatusRuntimeException sre -> sre.getStatus().getCode();
      case VlmException v -> forTaxonomy(v).getCode();
      default -> Status.Code.INTERNAL;
    };
  }

  /**
   * RESOURCE_EXHAUSTED with a {@code google.rpc.RetryInfo} detail in the trailers (the standard
   * {@code grpc-status-details-bin}), so clients know when to come back.
   */
  private static StatusException withRetryInfo(String message, Duration retryAfter) {
    com.google.rpc.Status detailed =
        com.google.rpc.Status.newBuilder()
            .setCode(Code.RESOURCE_EXHAUSTED_VALUE)
            .setMessage(message)
            .addDetails(Any.pack(RetryInfo.newBuilder()
                .setRetryDelay(com.google.protobuf.Duration.newBuilder()
                    .setSeconds(retryAfter.getSeconds())
                    .setNanos(retryAfter.getNano()))
                .build()))
            .build();
    return StatusProto.toStatusException(detailed);
  }
}
