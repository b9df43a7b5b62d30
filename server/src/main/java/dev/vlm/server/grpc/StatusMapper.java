package dev.vlm.server.grpc;

import dev.vlm.server.errors.DeadlineExceededException;
import dev.vlm.server.errors.InvalidArgumentException;
import dev.vlm.server.errors.ModelBusyException;
import dev.vlm.server.errors.ModelNotFoundException;
import dev.vlm.server.errors.ModelUnavailableException;
import dev.vlm.server.errors.RequestCancelledException;
import dev.vlm.server.errors.ResourceExhaustedException;
import dev.vlm.server.errors.VlmException;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
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
        };
    return status.withDescription(error.getMessage());
  }
}
