package dev.vlm.client;

import dev.vlm.api.v1.GenerateResponse;
import io.grpc.StatusRuntimeException;

/**
 * Receives a streamed generation started with {@link VlmClient#generateStream}.
 *
 * <p>Calls come on a gRPC executor thread, one at a time and in order: any number of {@link
 * #onResponse}, then exactly one of {@link #onCompleted} or {@link #onError}. Keep them short;
 * while one runs, the next message waits. If {@code onResponse} throws, the call is cancelled
 * and {@code onError} follows with status CANCELLED.
 */
public interface GenerationListener {
  /**
   * Receives the tokens and text generated since the previous response. The last response
   * carries the finish reason and usage.
   *
   * @param response the new output
   */
  void onResponse(GenerateResponse response);

  /**
   * Called once when the stream ended normally, after the last response.
   */
  void onCompleted();

  /**
   * Called once when the stream failed or was cancelled; nothing follows.
   *
   * @param error the status the call ended with (CANCELLED after {@link StreamHandle#cancel})
   */
  void onError(StatusRuntimeException error);
}
