package dev.vlm.scheduler.loop;

import dev.vlm.scheduler.EngineResult;
import dev.vlm.scheduler.Request;
import dev.vlm.scheduler.SchedulerOutput;

/**
 * Runs the model for an {@link EngineLoop}: encodes images, computes the KV of the scheduled
 * chunks and samples. Keeps whatever per-request state it needs (pixels, sampling settings, KV
 * tensors, encoder outputs) keyed by request id.
 *
 * <p>Every method is called on the loop's single thread, never concurrently, so implementations
 * need no synchronisation of their own. The lifecycle hooks must tolerate ids they do not know
 * (a request refused before it was scheduled still gets {@link #onFinished}) and may be called
 * more than once for the same id.
 *
 * @param <P> what the server attaches to each request for the engine (for example preprocessed
 *     pixels and sampling settings)
 */
public interface Engine<P> {

  /**
   * A request was accepted; it will be scheduled later. Keep {@code payload} until {@link
   * #onFinished}. Throwing refuses the request with {@code ERROR}.
   */
  void onAdded(Request request, P payload);

  /**
   * Runs one step: first the {@link SchedulerOutput#encoderInputs() encoder inputs}, then every
   * {@link SchedulerOutput#chunks() chunk}, returning a sample for each chunk that asks for one.
   * Preempted and finished requests of the output have already been passed to {@link
   * #onPreempted} and {@link #onFinished}. Throwing fails every request of the step with {@code
   * ERROR}; the loop keeps running.
   *
   * @throws Exception if the step could not be run
   */
  EngineResult execute(SchedulerOutput output) throws Exception;

  /**
   * The request lost its KV (and any encoder outputs) and will be recomputed from position 0;
   * drop that state but keep its payload.
   */
  void onPreempted(String requestId);

  /** The request ended, for whatever reason: drop everything held for it. */
  void onFinished(String requestId);
}
