package dev.vlm.client;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/** Status helpers shared by the call adapters. */
final class Statuses {
  private Statuses() {}

  /** Returns {@code error} as the {@link StatusRuntimeException} callers are promised. */
  static StatusRuntimeException asStatusException(Throwable error) {
    if (error instanceof StatusRuntimeException statusError) {
      return statusError;
    }
    return Status.fromThrowable(error).asRuntimeException(Status.trailersFromThrowable(error));
  }

  /** The cause given when the caller cancels a call; the RPC ends with status CANCELLED. */
  static StatusRuntimeException cancelledByCaller() {
    return Status.CANCELLED.withDescription("cancelled by the client").asRuntimeException();
  }
}
