package dev.vlm.scheduler;

import dev.vlm.scheduler.kv.BlockPool;
import dev.vlm.scheduler.kv.KvCacheManager;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Continuous-batching scheduler for one model: decides, step by step, which sequences decode,
 * which prompt chunks prefill, which images are encoded and who is preempted, and keeps the KV
 * block accounting. It never runs a model: {@link #schedule()} returns data, {@link
 * #update(SchedulerOutput, EngineResult)} takes data.
 *
 * <p>Each step, in this order:
 *
 * <ol>
 *   <li>Requests whose deadline has passed finish with {@code DEADLINE_EXCEEDED}, waiting or
 *       running.
 *   <li>Running sequences that are past their prompt decode one token each, in service order:
 *       the least-served tenant's first, and within a tenant highest priority, then earliest
 *       arrival, first.
 *   <li>Running sequences still in their prompt get their next chunk, as far as the remaining
 *       token budget allows.
 *   <li>If nobody was preempted, waiting requests are admitted in {@link WaitingQueue} order
 *       (the least-served tenant, then priority within it, then preempted first) while there is token
 *       budget, a running slot, and free blocks for the first chunk; the first request that does
 *       not fit stops admission for the step. With {@link SchedulerConfig#staticBatching()},
 *       a batch forms only when nothing is running: requests are admitted up to the running
 *       limit, over as many steps as the token budget needs, and then none until all of them
 *       have finished.
 * </ol>
 *
 * <p>When a running sequence needs a block and none is free, a victim is preempted by recompute
 * (its blocks are freed, a chunk already planned for it this step is undone, it returns to the
 * front of its tenant's priority queue and later re-prefills its prompt plus the tokens generated
 * so far), repeatedly until the block fits or the sequence itself is the one preempted. The
 * victim belongs to the tenant holding the most KV blocks (on a tie, the needing sequence's own
 * tenant), and is that tenant's lowest-priority, latest-arrived running sequence. Priority thus
 * picks victims only among a tenant's own sequences: a high-priority request never preempts
 * another tenant's sequence unless that tenant holds more of the cache than its own tenant does.
 * Each preemption frees at least one block, and a sequence alone always fits ({@link
 * SchedulerConfig#checkServable}), so every step that has running sequences makes progress.
 *
 * <p>Calls alternate: {@code schedule()}, then {@code update()} or {@code failStep()} for that
 * output if it {@link SchedulerOutput#hasWork() has work}, then {@code schedule()} again. {@link
 * #add}, {@link #abort} and the queries may be called at any point in between.
 *
 * <p>Not thread-safe: one owner thread (see {@code dev.vlm.scheduler.loop.EngineLoop}).
 */
public final class Scheduler {
  private final SchedulerConfig config;
  private final LongSupplier nanoClock;
  private final KvCacheManager kv;
  private final Map<String, Sequence> live = new HashMap<>();
  private final WaitingQueue waiting = new WaitingQueue();
  // Sorted in serviceOrder() at the start of each step.
  private final List<Sequence> running = new ArrayList<>();
  private final TenantLedger tenants = new TenantLedger();
  private final PriorityQueue<Sequence> deadlines =
      new PriorityQueue<>(Comparator.comparingLong((Sequence s) -> s.request.deadlineNanos()));
  private final List<RequestEvent.Finished> finishedSinceLastStep = new ArrayList<>();
  private final Counters counters = new Counters();
  private long arrivals;
  private SchedulerOutput awaitingUpdate;
  // Static batching only: the batch started when nothing was running is still taking requests.
  private boolean staticBatchForming;

  /**
   * Creates an idle scheduler with every KV block free.
   *
   * @param config the limits
   * @param nanoClock monotonic time in nanoseconds, the same clock request deadlines refer to
   */
  public Scheduler(SchedulerConfig config, LongSupplier nanoClock) {
    this.config = Objects.requireNonNull(config, "config");
    this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    this.kv = new KvCacheManager(new BlockPool(config.totalBlocks()), config.blockSize());
  }

  /** The limits this scheduler works within. */
  public SchedulerConfig config() {
    return config;
  }

  /**
   * Queues a request. Its arrival order is the order of {@code add} calls.
   *
   * @throws InvalidRequestException if it could never be scheduled ({@link
   *     SchedulerConfig#checkServable})
   * @throws DuplicateRequestException if a request with the same id is unfinished
   * @throws QueueFullException if {@code maxWaitingRequests} never-admitted requests wait
   */
  public void add(Request request) {
    config.checkServable(request);
    if (live.containsKey(request.id())) {
      throw new DuplicateRequestException("request " + request.id() + " is already in flight");
    }
    if (waiting.freshCount() >= config.maxWaitingRequests()) {
      throw new QueueFullException(
          "waiting queue is full (" + config.maxWaitingRequests() + " requests)");
    }
    Sequence sequence = new Sequence(request, arrivals++);
    live.put(request.id(), sequence);
    waiting.addFresh(sequence);
    tenants.join(request.tenant());
    if (request.hasDeadline()) {
      deadlines.add(sequence);
    }
  }

  /**
   * Cancels a request, waiting or running, with {@link FinishReason#ABORTED}. Its blocks are
   * freed now; the finish is reported by the next {@link #schedule()} or {@link
   * #takeFinished()}.
   *
   * @return false if no such request is unfinished
   */
  public boolean abort(String requestId) {
    return abort(requestId, FinishReason.ABORTED, "");
  }

  /**
   * Ends a request, waiting or running, with the given reason; as {@link #abort(String)}.
   *
   * @param detail human-readable cause, may be empty
   * @return false if no such request is unfinished
   */
  public boolean abort(String requestId, FinishReason reason, String detail) {
    Sequence sequence = live.get(requestId);
    if (sequence == null) {
      return false;
    }
    finishedSinceLastStep.add(finish(sequence, reason, detail));
    return true;
  }

  /**
   * Ends every unfinished request with {@code reason}, as {@link #abort(String, FinishReason,
   * String)} does; used at shutdown.
   *
   * @return how many requests were ended
   */
  public int abortAll(FinishReason reason, String detail) {
    List<Sequence> all = new ArrayList<>(live.values());
    all.sort(Sequence.SERVICE_ORDER);
    for (Sequence sequence : all) {
      finishedSinceLastStep.add(finish(sequence, reason, detail));
    }
    return all.size();
  }

  /**
   * Plans the next step. See the class description for the policy.
   *
   * @throws IllegalStateException if the previous output with work has not been passed to
   *     {@link #update} or {@link #failStep}
   */
  public SchedulerOutput schedule() {
    if (awaitingUpdate != null) {
      throw new IllegalStateException(
          "step " + awaitingUpdate.step() + " has not been updated or failed yet");
    }
    expireDeadlines(nanoClock.getAsLong());
    long step = ++counters.steps;
    StepBudget budget = new StepBudget(config.maxBatchedTokens(), config.maxEncoderTokensPerStep());
    Map<Sequence, ChunkPlan> plans = new LinkedHashMap<>();
    List<String> preempted = new ArrayList<>();

    if (config.staticBatching() && running.isEmpty()) {
      staticBatchForming = true;
    }
    boolean admissionOpen = !config.staticBatching() || staticBatchForming;
    running.sort(serviceOrder());
    for (boolean decodePass : new boolean[] {true, false}) {
      for (Sequence sequence : new ArrayList<>(running)) {
        if (budget.tokens() == 0) {
          break;
        }
        if (sequence.state() == Sequence.State.RUNNING && sequence.isDecoding() == decodePass) {
          scheduleRunning(sequence, budget, plans, preempted);
        }
      }
    }
    if (preempted.isEmpty() && admissionOpen) {
      boolean stoppedByStepBudget = admitWaiting(budget, plans);
      // A static batch goes on forming over the next steps only while this step's token budget
      // is what stopped it; once it is full or the queue is empty, it is closed.
      staticBatchForming = stoppedByStepBudget;
    }
    return commit(step, plans, preempted);
  }

  private void scheduleRunning(
      Sequence sequence, StepBudget budget, Map<Sequence, ChunkPlan> plans, List<String> preempted) {
    ChunkPlan plan = budget.planNext(sequence);
    if (plan == null) {
      return;
    }
    while (!kv.ensureCapacity(sequence.blocks, plan.end())) {
      Sequence victim = victimFor(sequence);
      ChunkPlan victimPlan = victim == sequence ? plan : plans.remove(victim);
      if (victimPlan != null) {
        budget.release(victimPlan);
        if (victimPlan != plan) {
          tenants.charge(victim.request.tenant(), -victimPlan.tokens());
        }
      }
      preempt(victim);
      preempted.add(victim.id());
      if (victim == sequence) {
        return;
      }
    }
    accept(plan, plans);
  }

  /**
   * Service order among running sequences: tenants by service received so far (least first), and
   * within a tenant higher priority, then earlier arrival, first.
   */
  private Comparator<Sequence> serviceOrder() {
    return Comparator.comparingLong((Sequence s) -> tenants.served(s.request.tenant()))
        .thenComparing(Sequence.SERVICE_ORDER);
  }

  /**
   * Who gives up its blocks so that {@code needy} can grow: the last sequence, in priority order,
   * of the tenant holding the most blocks; on a tie the needy sequence's own tenant, else the
   * tenant first met in service order. Priority never reaches across tenants.
   */
  private Sequence victimFor(Sequence needy) {
    Map<String, Integer> held = new LinkedHashMap<>();
    held.put(needy.request.tenant(), 0);
    for (Sequence s : running) {
      held.merge(s.request.tenant(), s.blocks.size(), Integer::sum);
    }
    String chosen = needy.request.tenant();
    for (Map.Entry<String, Integer> entry : held.entrySet()) {
      if (entry.getValue() > held.get(chosen)) {
        chosen = entry.getKey();
      }
    }
    Sequence victim = null;
    for (Sequence s : running) {
      if (s.request.tenant().equals(chosen) && (victim == null || Sequence.SERVICE_ORDER.compare(s, victim) > 0)) {
        victim = s;
      }
    }
    return victim;
  }

  // Charged as soon as planned, so that admissions later in the same step already see it.
  private void accept(ChunkPlan plan, Map<Sequence, ChunkPlan> plans) {
    plans.put(plan.sequence(), plan);
    tenants.charge(plan.sequence().request.tenant(), plan.tokens());
  }

  /** Returns whether admission stopped only because this step's budget ran out. */
  private boolean admitWaiting(StepBudget budget, Map<Sequence, ChunkPlan> plans) {
    while (running.size() < config.maxRunningSequences()) {
      if (budget.tokens() <= 0) {
        return true;
      }
      Sequence next = waiting.next(tenants);
      if (next == null) {
        return false;
      }
      ChunkPlan plan = budget.planNext(next);
      if (plan == null) {
        return true;
      }
      if (!kv.ensureCapacity(next.blocks, plan.end())) {
        budget.release(plan);
        return false;
      }
      waiting.remove(next);
      if (next.admit()) {
        counters.promptTokens += next.request.promptLength();
      }
      running.add(next);
      accept(plan, plans);
    }
    return false;
  }

  private SchedulerOutput commit(long step, Map<Sequence, ChunkPlan> plans, List<String> preempted) {
    List<ScheduledChunk> decodes = new ArrayList<>();
    List<ScheduledChunk> prefills = new ArrayList<>();
    List<EncoderInput> encoderInputs = new ArrayList<>();
    for (ChunkPlan plan : plans.values()) {
      Sequence sequence = plan.sequence();
      ScheduledChunk chunk =
          new ScheduledChunk(
              sequence.id(),
              plan.start(),
              sequence.tokenIds(plan.start(), plan.end()),
              sequence.blocks.toArray(),
              plan.end() == sequence.numTokens());
      (plan.decode() ? decodes : prefills).add(chunk);
      encoderInputs.addAll(plan.encoderInputs());
      sequence.advance(plan.end(), plan.encoderInputs().size());
    }
    SchedulerOutput output =
        new SchedulerOutput(step, decodes, prefills, encoderInputs, preempted, takeFinished());
    if (output.hasWork()) {
      awaitingUpdate = output;
    }
    return output;
  }

  /**
   * Applies the engine's result for {@code output}: appends each sampled token, finishes
   * requests on an engine signal ({@code EOS}, {@code STOP}), on {@code maxNewTokens} ({@code
   * LENGTH}) or on a per-request failure ({@code ERROR}), and frees their blocks. Results for
   * requests aborted since {@code output} are ignored. The result is checked completely before
   * anything changes, so after an exception the caller can still {@link #failStep} the output.
   *
   * @return the events in chunk order: for each request its token, then its finish if any
   * @throws IllegalStateException if {@code output} is not the step awaiting an update
   * @throws IllegalArgumentException if a sample is missing for a chunk that samples, or given
   *     for a request that was not scheduled to sample
   */
  public List<RequestEvent> update(SchedulerOutput output, EngineResult result) {
    checkAwaiting(output);
    checkResult(output, result);
    awaitingUpdate = null;
    List<RequestEvent> events = new ArrayList<>();
    for (ScheduledChunk chunk : output.chunks()) {
      Sequence sequence = live.get(chunk.requestId());
      if (sequence == null || sequence.state() != Sequence.State.RUNNING) {
        continue;
      }
      String failure = result.failures().get(chunk.requestId());
      if (failure != null) {
        events.add(finish(sequence, FinishReason.ERROR, failure));
        continue;
      }
      if (!chunk.sampleNext()) {
        continue;
      }
      EngineResult.Sample sample = result.samples().get(chunk.requestId());
      sequence.append(sample.tokenId());
      counters.generatedTokens++;
      events.add(new RequestEvent.Token(sequence.id(), sample.tokenId(), sequence.generated() - 1));
      FinishReason reason =
          switch (sample.signal()) {
            case EOS -> FinishReason.EOS;
            case STOP -> FinishReason.STOP;
            case CONTINUE -> sequence.reachedMaxTokens() ? FinishReason.LENGTH : null;
          };
      if (reason != null) {
        events.add(finish(sequence, reason, ""));
      }
    }
    return events;
  }

  /**
   * Ends every request still running in {@code output} with {@link FinishReason#ERROR}, for when
   * the engine failed the whole step.
   *
   * @param detail why the step failed
   * @return the finishes
   * @throws IllegalStateException if {@code output} is not the step awaiting an update
   */
  public List<RequestEvent.Finished> failStep(SchedulerOutput output, String detail) {
    checkAwaiting(output);
    awaitingUpdate = null;
    List<RequestEvent.Finished> events = new ArrayList<>();
    for (ScheduledChunk chunk : output.chunks()) {
      Sequence sequence = live.get(chunk.requestId());
      if (sequence != null && sequence.state() == Sequence.State.RUNNING) {
        events.add(finish(sequence, FinishReason.ERROR, detail));
      }
    }
    return events;
  }

  /**
   * Hands out, and forgets, the finishes not yet reported: those from {@link #abort}, {@link
   * #abortAll} and deadlines since the last {@link #schedule()}.
   */
  public List<RequestEvent.Finished> takeFinished() {
    List<RequestEvent.Finished> taken = List.copyOf(finishedSinceLastStep);
    finishedSinceLastStep.clear();
    return taken;
  }

  /** True while any request is waiting or running. */
  public boolean hasUnfinished() {
    return !live.isEmpty();
  }

  /** True if {@link #schedule()} would have something to do or report. */
  public boolean hasPendingWork() {
    return !live.isEmpty() || !finishedSinceLastStep.isEmpty();
  }

  /** Requests waiting, never admitted or preempted. */
  public int waitingCount() {
    return waiting.size();
  }

  /** Sequences holding KV. */
  public int runningCount() {
    return running.size();
  }

  /** KV blocks nobody holds. */
  public int freeBlocks() {
    return kv.pool().freeBlocks();
  }

  /** KV blocks in the pool. */
  public int totalBlocks() {
    return kv.pool().totalBlocks();
  }

  /** Gauges and counters now. */
  public SchedulerStats stats() {
    return new SchedulerStats(
        waiting.size(),
        running.size(),
        kv.pool().usedBlocks(),
        kv.pool().totalBlocks(),
        counters.steps,
        counters.preemptions,
        counters.aborted,
        counters.deadlineExceeded,
        counters.failed,
        counters.completed,
        counters.promptTokens,
        counters.generatedTokens,
        counters.recomputedTokens);
  }

  /**
   * Verifies the bookkeeping: the pool is consistent, blocks held by sequences are exactly the
   * used blocks, only running sequences hold blocks and each holds enough for its computed
   * positions. Meant for tests; O(blocks + requests).
   *
   * @throws IllegalStateException describing the first inconsistency
   */
  public void checkInvariants() {
    kv.pool().checkInvariants();
    int held = 0;
    Set<Integer> seen = new HashSet<>();
    for (Sequence sequence : live.values()) {
      if (sequence.state() != Sequence.State.RUNNING && !sequence.blocks.isEmpty()) {
        throw new IllegalStateException(sequence + " holds blocks while not running");
      }
      if (sequence.blocks.size() < kv.blocksFor(sequence.numComputed())) {
        throw new IllegalStateException(sequence + " holds too few blocks");
      }
      for (int id : sequence.blocks.toArray()) {
        if (!seen.add(id)) {
          throw new IllegalStateException("block " + id + " is held twice");
        }
      }
      held += sequence.blocks.size();
    }
    if (held != kv.pool().usedBlocks()) {
      throw new IllegalStateException(
          "sequences hold " + held + " blocks but the pool has " + kv.pool().usedBlocks() + " in use");
    }
    if (running.size() + waiting.size() != live.size()) {
      throw new IllegalStateException(
          running.size() + " running + " + waiting.size() + " waiting != " + live.size() + " live");
    }
  }

  private void expireDeadlines(long now) {
    while (!deadlines.isEmpty() && now >= deadlines.peek().request.deadlineNanos()) {
      Sequence sequence = deadlines.poll();
      finishedSinceLastStep.add(
          finish(sequence, FinishReason.DEADLINE_EXCEEDED, "deadline passed while " + phase(sequence)));
    }
  }

  private static String phase(Sequence sequence) {
    return sequence.state() == Sequence.State.WAITING ? "waiting" : "running";
  }

  private void preempt(Sequence sequence) {
    running.remove(sequence);
    kv.free(sequence.blocks);
    counters.recomputedTokens += sequence.preempt();
    counters.preemptions++;
    waiting.addResumed(sequence);
  }

  private RequestEvent.Finished finish(Sequence sequence, FinishReason reason, String detail) {
    switch (sequence.state()) {
      case WAITING -> waiting.remove(sequence);
      case RUNNING -> running.remove(sequence);
      case FINISHED -> throw new IllegalStateException(sequence + " finished twice");
    }
    kv.free(sequence.blocks);
    if (sequence.request.hasDeadline()) {
      deadlines.remove(sequence);
    }
    tenants.leave(sequence.request.tenant());
    live.remove(sequence.id());
    sequence.markFinished();
    counters.countFinish(reason);
    Request request = sequence.request;
    return new RequestEvent.Finished(
        request.id(),
        reason,
        request.promptLength(),
        sequence.generated(),
        request.imageTokens(),
        sequence.preemptions(),
        detail == null ? "" : detail);
  }

  private void checkAwaiting(SchedulerOutput output) {
    if (awaitingUpdate == null || output != awaitingUpdate) {
      throw new IllegalStateException(
          "step " + output.step() + " is not the step awaiting an update"
              + (awaitingUpdate == null ? " (none is)" : " (step " + awaitingUpdate.step() + " is)"));
    }
  }

  private static void checkResult(SchedulerOutput output, EngineResult result) {
    Map<String, ScheduledChunk> chunks = new HashMap<>();
    for (ScheduledChunk chunk : output.chunks()) {
      chunks.put(chunk.requestId(), chunk);
    }
    for (String id : result.samples().keySet()) {
      ScheduledChunk chunk = chunks.get(id);
      if (chunk == null || !chunk.sampleNext()) {
        throw new IllegalArgumentException(
            "engine returned a token for request " + id + " which step " + output.step()
                + " did not schedule to sample");
      }
    }
    for (String id : result.failures().keySet()) {
      if (!chunks.containsKey(id)) {
        throw new IllegalArgumentException(
            "engine reported a failure of request " + id + " which step " + output.step()
                + " did not schedule");
      }
    }
    for (ScheduledChunk chunk : chunks.values()) {
      String id = chunk.requestId();
      if (chunk.sampleNext() && !result.samples().containsKey(id) && !result.failures().containsKey(id)) {
        throw new IllegalArgumentException(
            "engine returned no token for request " + id + " in step " + output.step());
      }
    }
  }
}
