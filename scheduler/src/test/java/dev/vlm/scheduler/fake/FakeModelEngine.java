package dev.vlm.scheduler.fake;

import dev.vlm.scheduler.EncoderInput;
import dev.vlm.scheduler.EngineResult;
import dev.vlm.scheduler.ImageSpan;
import dev.vlm.scheduler.Request;
import dev.vlm.scheduler.ScheduledChunk;
import dev.vlm.scheduler.SchedulerOutput;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Runs {@link SchedulerOutput}s against a {@link FakeModel} the way a real engine would, and
 * fails loudly when the scheduler hands it something a real engine could not run: a chunk that
 * does not continue the sequence's KV, a block table too small or shared with another sequence,
 * an image position whose encoder output was never produced. Single-threaded.
 */
public final class FakeModelEngine {
  private final FakeModel model;
  private final int blockSize;
  private final Map<String, Request> requests = new HashMap<>();
  // Per request, the tokens whose KV this engine "holds".
  private final Map<String, int[]> kv = new HashMap<>();
  private final Map<String, Integer> kvLength = new HashMap<>();
  private final Map<String, Set<Integer>> encodedImages = new HashMap<>();

  public FakeModelEngine(FakeModel model, int blockSize) {
    this.model = model;
    this.blockSize = blockSize;
  }

  /** Makes a request's images known, as the server would hand over pixels. */
  public void register(Request request) {
    requests.put(request.id(), request);
  }

  /** Runs one step; the caller has applied the output's preemptions and finishes first. */
  public EngineResult execute(SchedulerOutput output) {
    for (EncoderInput input : output.encoderInputs()) {
      if (!encodedImages.computeIfAbsent(input.requestId(), k -> new HashSet<>()).add(input.imageIndex())) {
        throw new AssertionError("image " + input.imageIndex() + " of " + input.requestId() + " encoded twice");
      }
    }
    Set<Integer> blocksInStep = new HashSet<>();
    EngineResult.Builder result = EngineResult.builder();
    for (ScheduledChunk chunk : output.chunks()) {
      String id = chunk.requestId();
      int start = kvLength.getOrDefault(id, 0);
      if (chunk.startPosition() != start) {
        throw new AssertionError(id + ": chunk starts at " + chunk.startPosition() + " but KV holds " + start);
      }
      if ((long) chunk.blockTable().length * blockSize < chunk.endPosition()) {
        throw new AssertionError(id + ": " + chunk.blockTable().length + " blocks cannot hold " + chunk.endPosition());
      }
      for (int block : chunk.blockTable()) {
        if (!blocksInStep.add(block)) {
          throw new AssertionError("block " + block + " is shared in step " + output.step());
        }
      }
      checkImagesEncoded(id, chunk);
      int[] tokens = kv.computeIfAbsent(id, k -> new int[64]);
      if (tokens.length < chunk.endPosition()) {
        tokens = Arrays.copyOf(tokens, Math.max(chunk.endPosition(), tokens.length * 2));
        kv.put(id, tokens);
      }
      int[] ids = chunk.tokenIds();
      System.arraycopy(ids, 0, tokens, start, ids.length);
      kvLength.put(id, chunk.endPosition());
      if (chunk.sampleNext()) {
        int next = model.next(tokens, chunk.endPosition());
        if (model.isEos(next)) {
          result.eos(id, next);
        } else {
          result.token(id, next);
        }
      }
    }
    return result.build();
  }

  private void checkImagesEncoded(String id, ScheduledChunk chunk) {
    Request request = requests.get(id);
    if (request == null) {
      return;
    }
    for (int i = 0; i < request.images().size(); i++) {
      ImageSpan span = request.images().get(i);
      boolean overlaps = span.offset() < chunk.endPosition() && span.end() > chunk.startPosition();
      if (overlaps && !encodedImages.getOrDefault(id, Set.of()).contains(i)) {
        throw new AssertionError(id + ": chunk " + chunk + " covers image " + i + " before it was encoded");
      }
    }
  }

  /** Drops a preempted sequence's KV and encoder outputs; its request stays known. */
  public void onPreempted(String requestId) {
    kv.remove(requestId);
    kvLength.remove(requestId);
    encodedImages.remove(requestId);
  }

  /** Drops everything about a request. */
  public void onFinished(String requestId) {
    onPreempted(requestId);
    requests.remove(requestId);
  }

  /** Requests this engine still holds state for. */
  public int liveStates() {
    return kv.size();
  }
}
