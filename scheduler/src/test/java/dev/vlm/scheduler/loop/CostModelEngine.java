package dev.vlm.scheduler.loop;

import dev.vlm.scheduler.EngineResult;
import dev.vlm.scheduler.Request;
import dev.vlm.scheduler.SchedulerOutput;
import dev.vlm.scheduler.fake.FakeModel;
import dev.vlm.scheduler.fake.FakeModelEngine;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * An {@link Engine} over the fake model whose steps cost simulated time: each step advances the
 * shared clock by {@code fixedNanos + perTokenNanos * tokens}, so deadlines depend on the work
 * done, not on the machine. Tests can hook in before each step (to throw or to block).
 */
final class CostModelEngine implements Engine<String> {
  final AtomicLong clock;
  final AtomicInteger steps = new AtomicInteger();
  private final FakeModelEngine model;
  private final long fixedNanos;
  private final long perTokenNanos;
  private final Set<String> live = new HashSet<>();
  private volatile Consumer<SchedulerOutput> beforeStep = output -> {};
  private volatile int liveAtEnd = -1;

  CostModelEngine(FakeModel model, int blockSize, AtomicLong clock, long fixedNanos, long perTokenNanos) {
    this.model = new FakeModelEngine(model, blockSize);
    this.clock = clock;
    this.fixedNanos = fixedNanos;
    this.perTokenNanos = perTokenNanos;
  }

  void beforeStep(Consumer<SchedulerOutput> hook) {
    this.beforeStep = hook;
  }

  @Override
  public void onAdded(Request request, String payload) {
    if ("refuse".equals(payload)) {
      throw new IllegalArgumentException("payload refused");
    }
    model.register(request);
    live.add(request.id());
  }

  @Override
  public EngineResult execute(SchedulerOutput output) {
    steps.incrementAndGet();
    clock.addAndGet(fixedNanos + perTokenNanos * output.scheduledTokens());
    beforeStep.accept(output);
    return model.execute(output);
  }

  @Override
  public void onPreempted(String requestId) {
    model.onPreempted(requestId);
  }

  @Override
  public void onFinished(String requestId) {
    model.onFinished(requestId);
    live.remove(requestId);
    liveAtEnd = live.size() + model.liveStates();
  }

  /** Requests plus KV states still held, as of the last finish (read after the loop ended). */
  int liveStatesAtLastFinish() {
    return liveAtEnd;
  }
}
