package dev.vlm.server.grpc;

import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.server.errors.ResourceExhaustedException;
import dev.vlm.server.generation.FinishReason;
import dev.vlm.server.generation.Usage;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Streams one request's output under the client's flow control. The model's thread only
 * appends to an outbox and asks for a drain; the drain writes to the call while the call
 * {@link ServerCallStreamObserver#isReady() is ready} and resumes from the call's on-ready
 * handler. Every call on the observer happens inside the drain, which {@link SerialDrain} keeps
 * to one thread at a time, whether the model's output or the transport's readiness started it.
 *
 * <p>When the client falls behind, the responses that waited are merged into one when it
 * catches up. When more than the configured number of responses wait and the client is still
 * not ready, the request is aborted: {@link #isCancelled()} turns true so the model stops, and
 * the client gets RESOURCE_EXHAUSTED. A backlog that built up while the client was ready (the
 * drain's thread was slow to run) is sent, not held against the client; a request's output is
 * bounded by its token limit, so such a backlog cannot grow without end.
 */
final class StreamResponder implements Responder {
  private static final Logger log = Logger.getLogger(StreamResponder.class.getName());

  private sealed interface Entry {}

  private record Delta(int[] tokenIds, String text) implements Entry {}

  private record Finish(FinishReason reason, Usage usage) implements Entry {}

  private record Failure(RuntimeException error) implements Entry {}

  private final ServerCallStreamObserver<GenerateResponse> call;
  private final String requestId;
  private final int maxPendingMessages;
  private final Queue<Entry> outbox = new ConcurrentLinkedQueue<>();
  private final AtomicInteger pendingDeltas = new AtomicInteger();
  private final SerialDrain drain;
  private volatile boolean clientGone;
  private volatile boolean aborted;
  private volatile boolean writeFailed;
  private volatile boolean closed;
  // Touched only inside the drain: output waited because the client was not ready.
  private boolean backlogged;

  /**
   * Must be created inside the service method, where the call's handlers can still be set.
   *
   * @param maxPendingMessages token responses that may wait for the client before the request
   *     is aborted
   * @param drainExecutor runs the drains that the model's output asks for; their runs are short
   *     and never block
   */
  StreamResponder(
      ServerCallStreamObserver<GenerateResponse> call, String requestId, int maxPendingMessages, Executor drainExecutor) {
    if (maxPendingMessages <= 0) {
      throw new IllegalArgumentException("maxPendingMessages must be positive, got " + maxPendingMessages);
    }
    this.call = call;
    this.requestId = requestId;
    this.maxPendingMessages = maxPendingMessages;
    this.drain = new SerialDrain(this::drainOutbox, drainExecutor);
    // Both handlers run on the call's own executor; they only ask for a drain (or run it there).
    call.setOnReadyHandler(drain::requestHere);
    call.setOnCancelHandler(
        () -> {
          clientGone = true;
          drain.requestHere();
        });
  }

  @Override
  public boolean isCancelled() {
    return clientGone || aborted || writeFailed;
  }

  @Override
  public void onTokens(int[] tokenIds, String text) {
    if (closed || isCancelled()) {
      return;
    }
    outbox.add(new Delta(tokenIds.clone(), text));
    pendingDeltas.incrementAndGet();
    drain.requestAsync();
  }

  @Override
  public void onFinish(FinishReason reason, Usage usage) {
    outbox.add(new Finish(reason, usage));
    drain.requestAsync();
  }

  @Override
  public void onError(RuntimeException error) {
    outbox.add(new Failure(error));
    drain.requestAsync();
  }

  /** The only code that touches {@link #call} after construction; serialized by {@link #drain}. */
  private void drainOutbox() {
    try {
      while (!closed) {
        if (clientGone) {
          closed = true;
        } else if (pendingDeltas.get() > maxPendingMessages && !call.isReady()) {
          aborted = true;
          closed = true;
          log.info(() -> "request " + requestId + " stopped: its client did not read the stream fast enough");
          call.onError(
              StatusMapper.toStatus(
                  new ResourceExhaustedException(
                      "the client did not read the stream fast enough: more than " + maxPendingMessages
                          + " responses waited to be sent, so generation was stopped"),
                  requestId));
        } else {
          Entry head = outbox.peek();
          if (head == null) {
            return;
          }
          if (head instanceof Delta && !call.isReady()) {
            backlogged = true;
            return;
          }
          send(outbox.poll());
        }
      }
      // Nothing more goes out; free what the model left behind.
      outbox.clear();
    } catch (RuntimeException e) {
      writeFailed = true;
      closed = true;
      outbox.clear();
      log.log(Level.WARNING, "request " + requestId + ": writing its stream failed", e);
    }
  }

  private void send(Entry entry) {
    switch (entry) {
      case Failure failure -> {
        closed = true;
        call.onError(StatusMapper.toStatus(failure.error(), requestId));
      }
      case Finish finish -> {
        closed = true;
        call.onNext(finalMessage(GenerateResponse.newBuilder().setRequestId(requestId), finish));
        call.onCompleted();
      }
      case Delta delta -> {
        pendingDeltas.decrementAndGet();
        GenerateResponse.Builder message = GenerateResponse.newBuilder().setRequestId(requestId);
        StringBuilder text = new StringBuilder(delta.text());
        addTokens(message, delta);
        if (backlogged) {
          // The client has just caught up: everything that waited goes in one response.
          while (outbox.peek() instanceof Delta) {
            Delta next = (Delta) outbox.poll();
            pendingDeltas.decrementAndGet();
            addTokens(message, next);
            text.append(next.text());
          }
          backlogged = false;
          message.setText(text.toString());
          if (outbox.peek() instanceof Finish finish) {
            outbox.poll();
            closed = true;
            call.onNext(finalMessage(message, finish));
            call.onCompleted();
            return;
          }
        }
        call.onNext(message.setText(text.toString()).build());
      }
    }
  }

  private static void addTokens(GenerateResponse.Builder message, Delta delta) {
    for (int id : delta.tokenIds()) {
      message.addTokenIds(id);
    }
  }

  private static GenerateResponse finalMessage(GenerateResponse.Builder message, Finish finish) {
    return message
        .setFinishReason(ResponseProtos.finishReason(finish.reason()))
        .setUsage(ResponseProtos.usage(finish.usage()))
        .build();
  }
}
