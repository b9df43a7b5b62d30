package dev.vlm.scheduler.loop;

import dev.vlm.scheduler.Request;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A submitted request as the loop tracks it until its finish is delivered. {@code admitted} is
 * touched only by the loop thread; {@code finishClaimed} decides, once, who ends the request
 * when a submit races with the loop's termination.
 */
final class InFlight<P> {
  final Request request;
  final P payload;
  final RequestListener listener;
  boolean admitted;
  private final AtomicBoolean finishClaimed = new AtomicBoolean();

  InFlight(Request request, P payload, RequestListener listener) {
    this.request = request;
    this.payload = payload;
    this.listener = listener;
  }

  /** True for the one caller that gets to end this request. */
  boolean claimFinish() {
    return finishClaimed.compareAndSet(false, true);
  }
}
