package dev.vlm.scheduler.loop;

import dev.vlm.scheduler.RequestEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/** Records one request's events; counts finishes so a second one is caught. */
final class RecordingListener implements RequestListener {
  final List<Integer> tokens = new ArrayList<>();
  final AtomicInteger finishes = new AtomicInteger();
  volatile RequestEvent.Finished finished;
  volatile String error;
  private final CountDownLatch allDone;

  RecordingListener(CountDownLatch allDone) {
    this.allDone = allDone;
  }

  @Override
  public void onToken(RequestEvent.Token token) {
    if (finished != null) {
      error = "token after finish";
    }
    if (token.index() != tokens.size()) {
      error = "token index " + token.index() + " after " + tokens.size();
    }
    tokens.add(token.tokenId());
  }

  @Override
  public void onFinish(RequestEvent.Finished finished) {
    this.finished = finished;
    if (finishes.incrementAndGet() == 1) {
      allDone.countDown();
    }
  }
}
