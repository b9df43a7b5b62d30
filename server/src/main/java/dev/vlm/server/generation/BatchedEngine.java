package dev.vlm.server.generation;

import dev.vlm.scheduler.EncoderInput;
import dev.vlm.scheduler.EngineResult;
import dev.vlm.scheduler.Request;
import dev.vlm.scheduler.ScheduledChunk;
import dev.vlm.scheduler.SchedulerOutput;
import dev.vlm.scheduler.loop.Engine;
import dev.vlm.server.engine.BatchDecoder;
import dev.vlm.server.engine.OnnxVlm;
import dev.vlm.server.model.PromptPositions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Runs the scheduler's steps on a loaded model: encodes images when their prompt positions come
 * up, embeds each chunk (image features over the image positions only), runs all chunks through
 * the batch decoder, and samples for the chunks that ask. Used only on the model's loop thread.
 *
 * <p>A failure in one request's own part of a step (its image's encoding, its embeddings and
 * feature merge, its positions, its sampling) fails that request alone: it is left out of the
 * decoder call and the rest of the step runs. Only a failure of the shared decoder call fails
 * the whole step.
 */
final class BatchedEngine implements Engine<RequestWork> {
  private final LoadedModel model;
  private final BatchDecoder decoder;
  private final Consumer<String> abort;
  private final RequestFaults faults;
  private final Map<String, RequestWork> requests = new HashMap<>();

  /**
   * @param abort asks the loop to abort a request (its client went away)
   */
  BatchedEngine(LoadedModel model, BatchDecoder decoder, Consumer<String> abort) {
    this(model, decoder, abort, RequestFaults.NONE);
  }

  BatchedEngine(LoadedModel model, BatchDecoder decoder, Consumer<String> abort, RequestFaults faults) {
    this.model = model;
    this.decoder = decoder;
    this.abort = abort;
    this.faults = faults;
  }

  @Override
  public void onAdded(Request request, RequestWork work) {
    requests.put(request.id(), work);
  }

  @Override
  public EngineResult execute(SchedulerOutput output) {
    EngineResult.Builder result = EngineResult.builder();
    Map<String, String> failed = new HashMap<>();
    abortCancelled();
    for (EncoderInput input : output.encoderInputs()) {
      if (!failed.containsKey(input.requestId())) {
        encode(input, failed);
      }
    }

    List<ScheduledChunk> running = new ArrayList<>(output.chunks().size());
    List<BatchDecoder.Row> rows = new ArrayList<>(output.chunks().size());
    for (ScheduledChunk chunk : output.chunks()) {
      requests.get(chunk.requestId()).markStarted();
      if (failed.containsKey(chunk.requestId())) {
        continue;
      }
      try {
        faults.before("embed", chunk.requestId());
        rows.add(row(chunk, embed(chunk)));
        running.add(chunk);
      } catch (RuntimeException e) {
        failed.put(chunk.requestId(), "preparing its step input failed: " + describe(e));
      }
    }
    float[][] logits = rows.isEmpty() ? new float[0][] : decoder.step(rows);
    for (int i = 0; i < running.size(); i++) {
      ScheduledChunk chunk = running.get(i);
      if (chunk.sampleNext()) {
        try {
          faults.before("sample", chunk.requestId());
          sample(requests.get(chunk.requestId()), logits[i], result);
        } catch (RuntimeException e) {
          failed.put(chunk.requestId(), "sampling failed: " + describe(e));
        }
      }
    }
    failed.forEach(result::failed);
    return result.build();
  }

  /** Runs the vision encoder on one image input; a failure is recorded against its request. */
  private void encode(EncoderInput input, Map<String, String> failed) {
    RequestWork work = requests.get(input.requestId());
    PreparedPrompt.PromptImage image = work.prompt.images().get(input.imageIndex());
    try {
      faults.before("encode", input.requestId());
      float[][] rows = model.engine().encodeImage(image.pixels());
      if (rows.length != image.length()) {
        failed.put(input.requestId(), "vision encoder gave " + rows.length + " rows for image input "
            + input.imageIndex() + ", planned at " + image.length() + " tokens");
        return;
      }
      work.features.put(input.imageIndex(), rows);
    } catch (RuntimeException e) {
      failed.put(input.requestId(), "vision encoder failed on image input " + input.imageIndex() + ": " + describe(e));
    }
  }

  private static String describe(RuntimeException e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  private void abortCancelled() {
    for (RequestWork work : requests.values()) {
      if (work.cancelled.getAsBoolean()) {
        abort.accept(work.id);
      }
    }
  }

  /**
   * The decoder row of a chunk. Without explicit positions they are the cache indices. With
   * multimodal RoPE, a chunk inside the prompt takes its slice of the prompt's positions (a
   * re-prefill after preemption runs on into generated tokens, at index + rope delta), and a
   * decode is its cache index plus the rope delta.
   */
  private BatchDecoder.Row row(ScheduledChunk chunk, float[] embeds) {
    Optional<PromptPositions> positions = requests.get(chunk.requestId()).prompt.positions();
    if (positions.isEmpty()) {
      return new BatchDecoder.Row(chunk.requestId(), chunk.startPosition(), embeds, chunk.length());
    }
    PromptPositions p = positions.get();
    if (chunk.startPosition() >= p.promptLength()) {
      return BatchDecoder.Row.withPositionOffset(
          chunk.requestId(), chunk.startPosition(), embeds, chunk.length(), p.ropeDelta());
    }
    return new BatchDecoder.Row(chunk.requestId(), chunk.startPosition(), embeds, chunk.length(),
        p.slice(chunk.startPosition(), chunk.length()));
  }

  /** The chunk's embeddings, with image features written over image positions. */
  private float[] embed(ScheduledChunk chunk) {
    float[] embeds = model.engine().embed(chunk.tokenIds());
    RequestWork work = requests.get(chunk.requestId());
    ImageFeatureMerge.merge(embeds, chunk.startPosition(), chunk.endPosition(), work.prompt.images(), work.features,
        model.engine().hiddenSize());
    // An image whose last position this chunk covers is done with: its features (rows x hidden
    // floats, the largest per-request buffer) need not wait for the request to finish.
    List<PreparedPrompt.PromptImage> images = work.prompt.images();
    work.features.keySet().removeIf(index -> images.get(index).offset() + images.get(index).length() <= chunk.endPosition());
    return embeds;
  }

  private void sample(RequestWork work, float[] logits, EngineResult.Builder result) {
    int token = work.chooser.choose(logits);
    boolean last = work.countAndCheckLast();
    OutputText.Delta delta = work.output.push(token);
    if (delta.stopped()) {
      work.setPendingText(delta.text());
      result.stop(work.id, token);
      return;
    }
    boolean eos = work.stopAtEos && work.eosTokenIds.contains(token);
    work.setPendingText(eos || last ? delta.text() + work.output.flush() : delta.text());
    if (eos) {
      result.eos(work.id, token);
    } else {
      result.token(work.id, token);
    }
  }

  @Override
  public void onPreempted(String requestId) {
    decoder.release(requestId);
    RequestWork work = requests.get(requestId);
    if (work != null) {
      work.features.clear();
    }
  }

  @Override
  public void onFinished(String requestId) {
    decoder.release(requestId);
    requests.remove(requestId);
  }
}
