package dev.vlm.scheduler.loop;

import dev.vlm.scheduler.RequestEvent;

/**
 * Receives one request's output from an {@link EngineLoop}: any number of tokens in order, then
 * exactly one finish (also when the request is refused after {@link EngineLoop#submit} returned,
 * aborted, timed out, failed or shut down).
 *
 * <p>Called on the loop thread, which runs every model step: implementations must return quickly
 * and never block (hand the event to an outbox or a stream and return). An exception thrown
 * here is logged and otherwise ignored.
 */
public interface RequestListener {

  /** A newly generated token. */
  void onToken(RequestEvent.Token token);

  /** The request ended; no more calls follow for it. */
  void onFinish(RequestEvent.Finished finished);
}
