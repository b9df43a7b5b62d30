package dev.vlm.scheduler;

import java.util.ArrayList;
import java.util.List;

/**
 * One step's plan, returned by {@link Scheduler#schedule()}: the data the engine needs to run
 * the step, and what happened to requests since the previous step.
 *
 * <p>Before running the chunks, the engine drops the KV state of every {@link #preempted()}
 * request (it will restart from position 0 later) and all state of every {@link #finished()}
 * request.
 *
 * <p>Immutable, thread-safe.
 *
 * @param step sequence number of this step, from 1
 * @param decodes sequences generating one token each (chunk length 1, {@code sampleNext} set),
 *     highest priority first
 * @param prefills prompt chunks, of running sequences first, then of newly admitted or resumed
 *     ones; only a chunk that completes the prompt samples
 * @param encoderInputs images to encode before the prefills that need them
 * @param preempted requests whose KV was taken back this step; they wait to be recomputed
 * @param finished requests that ended outside {@link Scheduler#update} since the previous step
 *     (aborted, deadline passed, shut down); their blocks are already free
 */
public record SchedulerOutput(
    long step,
    List<ScheduledChunk> decodes,
    List<ScheduledChunk> prefills,
    List<EncoderInput> encoderInputs,
    List<String> preempted,
    List<RequestEvent.Finished> finished) {

  /** Copies every list. */
  public SchedulerOutput {
    decodes = List.copyOf(decodes);
    prefills = List.copyOf(prefills);
    encoderInputs = List.copyOf(encoderInputs);
    preempted = List.copyOf(preempted);
    finished = List.copyOf(finished);
  }

  /** All chunks, decodes first. */
  public List<ScheduledChunk> chunks() {
    List<ScheduledChunk> all = new ArrayList<>(decodes.size() + prefills.size());
    all.addAll(decodes);
    all.addAll(prefills);
    return all;
  }

  /** True if the engine has chunks to run; encoder inputs only come with chunks. */
  public boolean hasWork() {
    return !decodes.isEmpty() || !prefills.isEmpty();
  }

  /** Tokens processed this step, prefill and decode together. */
  public int scheduledTokens() {
    int sum = decodes.size();
    for (ScheduledChunk chunk : prefills) {
      sum += chunk.length();
    }
    return sum;
  }

  /** Image tokens the encoder produces this step. */
  public int encoderTokens() {
    int sum = 0;
    for (EncoderInput input : encoderInputs) {
      sum += input.span().length();
    }
    return sum;
  }
}
