package dev.vlm.client.bench;

import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.client.GenerationListener;
import io.grpc.StatusRuntimeException;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Times one streamed request. The server may merge several tokens into one message when the
 * client lags, so tokens are counted by token id, not by message.
 *
 * <p>gRPC calls a listener one callback at a time, so the fields need no lock.
 */
final class StreamTimer implements GenerationListener {
  private final long startNanos;
  private final LongSupplier clock;
  private final Consumer<Outcome> sink;
  private long tokens;
  private long firstTokenNanos = -1;
  private long lastTokenNanos = -1;

  /**
   * @param startNanos when the request was issued, or was due (open loop), on {@code clock}
   * @param clock the nanosecond clock
   * @param sink receives the outcome exactly once
   */
  StreamTimer(long startNanos, LongSupplier clock, Consumer<Outcome> sink) {
    this.startNanos = startNanos;
    this.clock = clock;
    this.sink = sink;
  }

  @Override
  public void onResponse(GenerateResponse response) {
    int count = response.getTokenIdsCount();
    if (count == 0) {
      return;
    }
    long now = clock.getAsLong() - startNanos;
    if (firstTokenNanos < 0) {
      firstTokenNanos = now;
    }
    lastTokenNanos = now;
    tokens += count;
  }

  @Override
  public void onCompleted() {
    long end = clock.getAsLong() - startNanos;
    sink.accept(new Outcome.Success(tokens, firstTokenNanos, lastTokenNanos, end));
  }

  @Override
  public void onError(StatusRuntimeException error) {
    sink.accept(new Outcome.Failure(error.getStatus().getCode()));
  }
}
