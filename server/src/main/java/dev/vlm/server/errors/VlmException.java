package dev.vlm.server.errors;

/**
 * Root of the server's exception taxonomy. Each subclass stands for one kind of failure a
 * client can act on; {@code dev.vlm.server.grpc.StatusMapper} turns each into exactly one gRPC
 * status, so code below the gRPC layer never deals with statuses.
 */
public abstract sealed class VlmException extends RuntimeException
    permits InvalidArgumentException,
        ModelNotFoundException,
        ModelUnavailableException,
        ResourceExhaustedException,
        RequestCancelledException,
        DeadlineExceededException,
        ModelBusyException,
        UnauthenticatedException,
        PermissionDeniedException {

  protected VlmException(String message) {
    super(message);
  }

  protected VlmException(String message, Throwable cause) {
    super(message, cause);
  }
}
