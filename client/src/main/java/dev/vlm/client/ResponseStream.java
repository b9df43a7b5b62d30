package dev.vlm.client;

import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.GenerateResponse;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;

/**
 * A streamed generation read by blocking iteration, returned by {@link VlmClient#stream}.
 *
 * <pre>{@code
 * try (ResponseStream stream = client.stream(request)) {
 *   while (stream.hasNext()) {
 *     System.out.print(stream.next().getText());
 *   }
 * }
 * }</pre>
 *
 * <p>Messages are fetched from the server's stream one at a time as they are consumed, so a
 * slow reader holds the server back instead of piling up messages in memory. Closing the stream
 * before its end cancels the call, and the server stops generating.
 *
 * <p>Iterate on one thread only. {@link #cancel} and {@link #close} may be called from any
 * thread; the iterating thread then sees a {@link StatusRuntimeException} with status CANCELLED.
 */
public final class ResponseStream implements Iterator<GenerateResponse>, AutoCloseable {
  private static final Object END = new Object();

  /** Responses, then END or a StatusRuntimeException; filled by gRPC, drained by the reader. */
  private final BlockingQueue<Object> inbox = new LinkedBlockingQueue<>();

  private final Context.CancellableContext context;
  private volatile ClientCallStreamObserver<GenerateRequest> call;

  // Reader thread only.
  private GenerateResponse next;
  private boolean ended;
  private StatusRuntimeException failure;

  private ResponseStream(Context.CancellableContext context) {
    this.context = context;
  }

  /** Starts the call through {@code starter}, which receives the observer to hand to the stub. */
  static ResponseStream start(
      Consumer<ClientResponseObserver<GenerateRequest, GenerateResponse>> starter) {
    ResponseStream stream = new ResponseStream(Context.current().withCancellation());
    stream.context.run(() -> starter.accept(stream.new Observer()));
    return stream;
  }

  /**
   * Waits for the next response or the end of the stream.
   *
   * @return whether another response is available
   * @throws StatusRuntimeException if the call failed or was cancelled; also if the reading
   *     thread was interrupted, which cancels the call (the interrupt flag stays set)
   */
  @Override
  public boolean hasNext() {
    if (next != null) {
      return true;
    }
    if (ended) {
      if (failure != null) {
        throw failure;
      }
      return false;
    }
    Object event;
    try {
      event = inbox.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      cancel();
      ended = true;
      failure =
          Status.CANCELLED
              .withDescription("interrupted while waiting for the stream")
              .withCause(e)
              .asRuntimeException();
      throw failure;
    }
    if (event instanceof GenerateResponse response) {
      next = response;
      call.request(1);
      return true;
    }
    ended = true;
    if (event instanceof StatusRuntimeException error) {
      failure = error;
      throw error;
    }
    return false;
  }

  /**
   * Returns the next response, waiting for it if needed.
   *
   * @return the tokens and text generated since the previous response
   * @throws NoSuchElementException if the stream has ended
   * @throws StatusRuntimeException if the call failed or was cancelled
   */
  @Override
  public GenerateResponse next() {
    if (!hasNext()) {
      throw new NoSuchElementException("the stream has ended");
    }
    GenerateResponse response = next;
    next = null;
    return response;
  }

  /**
   * Cancels the call if it is still running; the server stops generating. Safe from any thread.
   */
  public void cancel() {
    context.cancel(Statuses.cancelledByCaller());
  }

  /** Cancels the call if it has not ended yet. Safe from any thread. */
  @Override
  public void close() {
    cancel();
  }

  /** Moves gRPC's callbacks into the inbox and asks for one message at a time. */
  private final class Observer
      implements ClientResponseObserver<GenerateRequest, GenerateResponse> {
    @Override
    public void beforeStart(ClientCallStreamObserver<GenerateRequest> requestStream) {
      call = requestStream;
      requestStream.disableAutoRequestWithInitial(1);
    }

    @Override
    public void onNext(GenerateResponse response) {
      inbox.add(response);
    }

    @Override
    public void onError(Throwable error) {
      inbox.add(Statuses.asStatusException(error));
      context.cancel(null);
    }

    @Override
    public void onCompleted() {
      inbox.add(END);
      context.cancel(null);
    }
  }
}
