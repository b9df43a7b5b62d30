package dev.vlm.scheduler;

import java.util.ArrayList;
import java.util.List;

/**
 * What is left of one step's token and encoder budgets while the step is planned, and the
 * planning of a chunk within them. Not thread-safe.
 */
final class StepBudget {
  private int tokens;
  private int encoderTokens;

  StepBudget(int tokens, int encoderTokens) {
    this.tokens = tokens;
    this.encoderTokens = encoderTokens;
  }

  int tokens() {
    return tokens;
  }

  /**
   * Plans the next chunk of {@code sequence} as far as the budgets allow and reserves them.
   * A chunk stops short of an image the encoder budget cannot pay for.
   *
   * @return the plan, or null if not even one position fits
   */
  ChunkPlan planNext(Sequence sequence) {
    int start = sequence.numComputed();
    int end = start + Math.min(sequence.numTokens() - start, tokens);
    int encoderLeft = encoderTokens;
    List<EncoderInput> inputs = new ArrayList<>();
    List<ImageSpan> images = sequence.request.images();
    // Images before `start` were encoded when a chunk first reached them.
    for (int i = sequence.encodedImages(); i < images.size(); i++) {
      ImageSpan image = images.get(i);
      if (image.offset() >= end) {
        break;
      }
      if (image.length() > encoderLeft) {
        end = image.offset();
        break;
      }
      encoderLeft -= image.length();
      inputs.add(new EncoderInput(sequence.id(), i, image));
    }
    if (end <= start) {
      return null;
    }
    boolean decode = sequence.state() == Sequence.State.RUNNING && sequence.isDecoding();
    ChunkPlan plan = new ChunkPlan(sequence, start, end, List.copyOf(inputs), decode);
    tokens -= plan.tokens();
    encoderTokens -= plan.encoderTokens();
    return plan;
  }

  /** Gives back what {@code plan} reserved. */
  void release(ChunkPlan plan) {
    tokens += plan.tokens();
    encoderTokens += plan.encoderTokens();
  }
}
