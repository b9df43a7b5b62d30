package dev.vlm.scheduler;

import dev.vlm.scheduler.fake.FakeModel;
import dev.vlm.scheduler.fake.FakeModelEngine;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Drives a {@link Scheduler} against a {@link FakeModelEngine} step by step, the way the engine
 * loop does, and records every event so tests can assert on outputs and finishes.
 */
final class Driver {
  final AtomicLong clock = new AtomicLong();
  final FakeModel model;
  final Scheduler scheduler;
  final FakeModelEngine engine;
  final Map<String, List<Integer>> tokens = new HashMap<>();
  final Map<String, RequestEvent.Finished> finishes = new HashMap<>();
  final List<SchedulerOutput> outputs = new ArrayList<>();

  Driver(SchedulerConfig config) {
    this(config, new FakeModel(1000, -1));
  }

  Driver(SchedulerConfig config, FakeModel model) {
    this.model = model;
    this.scheduler = new Scheduler(config, clock::get);
    this.engine = new FakeModelEngine(model, config.blockSize());
  }

  Request add(Request request) {
    scheduler.add(request);
    engine.register(request);
    return request;
  }

  SchedulerOutput step() {
    SchedulerOutput output = scheduler.schedule();
    outputs.add(output);
    output.preempted().forEach(engine::onPreempted);
    output.finished().forEach(this::record);
    if (output.hasWork()) {
      scheduler.update(output, engine.execute(output)).forEach(this::record);
    }
    scheduler.checkInvariants();
    return output;
  }

  /** Steps until nothing is left; returns the number of steps taken. */
  int runUntilIdle(int maxSteps) {
    int steps = 0;
    while (scheduler.hasPendingWork()) {
      if (++steps > maxSteps) {
        throw new AssertionError("still busy after " + maxSteps + " steps: " + scheduler.stats());
      }
      step();
    }
    return steps;
  }

  List<Integer> tokensOf(String id) {
    return tokens.getOrDefault(id, List.of());
  }

  void record(RequestEvent event) {
    switch (event) {
      case RequestEvent.Token token -> {
        List<Integer> list = tokens.computeIfAbsent(token.requestId(), k -> new ArrayList<>());
        if (token.index() != list.size()) {
          throw new AssertionError("token index " + token.index() + " after " + list.size());
        }
        if (finishes.containsKey(token.requestId())) {
          throw new AssertionError("token after finish of " + token.requestId());
        }
        list.add(token.tokenId());
      }
      case RequestEvent.Finished finished -> {
        if (finishes.put(finished.requestId(), finished) != null) {
          throw new AssertionError("second finish of " + finished.requestId());
        }
        engine.onFinished(finished.requestId());
      }
    }
  }
}
