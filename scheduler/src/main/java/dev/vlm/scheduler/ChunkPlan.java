package dev.vlm.scheduler;

import java.util.List;

/**
 * One sequence's share of the step being planned, before it is committed: positions {@code
 * [start, end)}, the images to encode for them, and whether it counts as a decode. Kept apart
 * from the sequence so that a plan can be undone when its sequence is preempted later in the
 * same step.
 */
record ChunkPlan(
    Sequence sequence, int start, int end, List<EncoderInput> encoderInputs, boolean decode) {

  int tokens() {
    return end - start;
  }

  int encoderTokens() {
    int sum = 0;
    for (EncoderInput input : encoderInputs) {
      sum += input.span().length();
    }
    return sum;
  }
}
