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
 */
final class BatchedEngine implements Engine<RequestWork> {
  private final LoadedModel model;
  private final BatchDecoder decoder;
  private final Consumer<String> abort;
  private final Map<String, RequestWork> requests = new HashMap<>();

  /**
   * @param abort asks the loop to abort a request (its client went away)
   */
  BatchedEngine(LoadedModel model, BatchDecoder decoder, Consumer<String> abort) {
    this.model = model;
    this.decoder = decoder;
    this.abort = abort;
  }

  @Override
  public void onAdded(Request request, RequestWork work) {
    requests.put(request.id(), work);
  }

  @Override
  public EngineResult execute(SchedulerOutput output) {
    EngineResult.Builder result = EngineResult.builder();
    abortCancelled();
    for (EncoderInput input : output.encoderInputs()) {
      RequestWork work = requests.get(input.requestId());
      PreparedPrompt.PromptImage image = work.prompt.images().get(input.imageIndex());
      float[][] rows = model.engine().encodeImage(image.pixels());
      if (rows.length != image.length()) {
        result.failed(input.requestId(), "vision encoder gave " + rows.length + " rows for an image planned at "
            + image.length() + " tokens");
        continue;
      }
      work.features.put(input.imageIndex(), rows);
    }

    List<ScheduledChunk> chunks = output.chunks();
    List<BatchDecoder.Row> rows = new ArrayList<>(chunks.size());
    for (ScheduledChunk chunk : chunks) {
      requests.get(chunk.requestId()).markStarted();
      rows.add(row(chunk, embed(chunk)));
    }
    float[][] logits = decoder.step(rows);
    for (int i = 0; i < chunks.size(); i++) {
      ScheduledChunk chunk = chunks.get(i);
      if (chunk.sampleNext()) {
        sample(requests.get(chunk.requestId()), logits[i], result);
      }
    }
    return result.build();
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
