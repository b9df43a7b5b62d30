package dev.vlm.client;

import io.grpc.Context;

/**
 * A streamed generation in progress, returned by {@link VlmClient#generateStream}.
 *
 * <p>Thread-safe: {@link #cancel} may be called from any thread, any number of times.
 */
public final class StreamHandle {
  private final Context.CancellableContext context;

  StreamHandle(Context.CancellableContext context) {
    this.context = context;
  }

  /**
   * Cancels the call: the server stops generating and the listener gets {@code onError} with
   * status CANCELLED. Does nothing if the stream already ended.
   */
  public void cancel() {
    context.cancel(Statuses.cancelledByCaller());
  }
}
