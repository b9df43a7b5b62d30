package dev.vlm.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What one step contains: admission, chunked prefill, decode-first order, encoder budget. */
class SchedulerStepTest extends SchedulerTestBase {

  @Test
  void admissionWaitsUntilTheFirstChunkHasBlocks() {
    start(config().blockSize(4).totalBlocks(4));
    // a: 10 prompt + 2 new - 1 = 11 positions = 3 blocks; b's 6-token prompt needs 2 blocks.
    scheduler().add(request("a", 10).maxNewTokens(2).build());
    scheduler().add(request("b", 6).maxNewTokens(1).build());

    SchedulerOutput first = scheduler().schedule();
    assertThat(first.prefills()).extracting(ScheduledChunk::requestId).containsExactly("a");
    assertThat(scheduler().waitingCount()).isEqualTo(1);
    assertThat(scheduler().freeBlocks()).isEqualTo(1);
    scheduler().update(first, EngineResult.builder().token("a", 7).build());

    SchedulerOutput second = scheduler().schedule();
    assertThat(second.decodes()).extracting(ScheduledChunk::requestId).containsExactly("a");
    assertThat(second.prefills()).isEmpty();
    List<RequestEvent> events = scheduler().update(second, EngineResult.builder().token("a", 8).build());
    assertThat(events)
        .containsExactly(
            new RequestEvent.Token("a", 8, 1),
            new RequestEvent.Finished("a", FinishReason.LENGTH, 10, 2, 0, 0, ""));
    assertThat(scheduler().freeBlocks()).isEqualTo(4);

    SchedulerOutput third = scheduler().schedule();
    assertThat(third.prefills()).extracting(ScheduledChunk::requestId).containsExactly("b");
    assertThat(scheduler().update(third, EngineResult.builder().token("b", 9).build()))
        .last()
        .isEqualTo(new RequestEvent.Finished("b", FinishReason.LENGTH, 6, 1, 0, 0, ""));
  }

  @Test
  void longPromptIsPrefilledInChunksWithinTheTokenBudget() {
    start(config().maxBatchedTokens(8).blockSize(4));
    int[] prompt = prompt(20, 100);
    scheduler().add(Request.builder("long", prompt).maxNewTokens(2).build());

    int[][] expectedRanges = {{0, 8}, {8, 16}, {16, 20}};
    for (int[] range : expectedRanges) {
      SchedulerOutput output = scheduler().schedule();
      assertThat(output.decodes()).isEmpty();
      ScheduledChunk chunk = output.prefills().getFirst();
      assertThat(chunk.startPosition()).isEqualTo(range[0]);
      assertThat(chunk.endPosition()).isEqualTo(range[1]);
      assertThat(chunk.tokenIds()).containsExactly(Arrays.copyOfRange(prompt, range[0], range[1]));
      assertThat(chunk.blockTable()).hasSize(range[1] / 4);
      boolean last = range[1] == 20;
      assertThat(chunk.sampleNext()).isEqualTo(last);
      List<RequestEvent> events =
          scheduler().update(output, last ? EngineResult.builder().token("long", 5).build() : EngineResult.empty());
      assertThat(events).hasSize(last ? 1 : 0);
    }

    SchedulerOutput decode = scheduler().schedule();
    assertThat(decode.decodes()).singleElement().satisfies(chunk -> {
      assertThat(chunk.startPosition()).isEqualTo(20);
      assertThat(chunk.tokenIds()).containsExactly(5);
      assertThat(chunk.sampleNext()).isTrue();
    });
    assertThat(scheduler().update(decode, EngineResult.builder().token("long", 6).build()))
        .extracting(e -> e instanceof RequestEvent.Finished f ? f.reason() : null)
        .containsExactly(null, FinishReason.LENGTH);
  }

  @Test
  void decodesComeFirstAndPrefillsTakeTheRestOfTheBudget() {
    start(config().maxBatchedTokens(4));
    scheduler().add(request("a", 2).maxNewTokens(5).build());
    scheduler().add(request("b", 2).maxNewTokens(5).build());
    SchedulerOutput first = driver.step();
    assertThat(first.prefills()).extracting(ScheduledChunk::requestId).containsExactly("a", "b");

    scheduler().add(request("c", 10).maxNewTokens(1).build());
    SchedulerOutput second = driver.step();
    assertThat(second.decodes()).extracting(ScheduledChunk::requestId).containsExactly("a", "b");
    assertThat(second.decodes()).allSatisfy(chunk -> assertThat(chunk.length()).isEqualTo(1));
    assertThat(second.prefills()).singleElement().satisfies(chunk -> {
      assertThat(chunk.requestId()).isEqualTo("c");
      assertThat(chunk.length()).isEqualTo(2);
    });
    assertThat(second.scheduledTokens()).isEqualTo(4);

    // A running prefill continues before any newcomer is admitted.
    scheduler().add(request("d", 3).maxNewTokens(1).build());
    SchedulerOutput third = driver.step();
    assertThat(third.decodes()).extracting(ScheduledChunk::requestId).containsExactly("a", "b");
    assertThat(third.prefills()).extracting(ScheduledChunk::requestId, ScheduledChunk::startPosition)
        .containsExactly(tuple("c", 2));
    driver.runUntilIdle(50);
  }

  @Test
  void imagesAreEncodedWithinTheEncoderBudgetBeforeTheirPositionsArePrefilled() {
    start(config().maxEncoderTokensPerStep(10).maxBatchedTokens(100));
    driver.add(request("r1", 20).image(2, 6).image(10, 6).maxNewTokens(2).build());
    driver.add(request("r2", 8).image(0, 6).maxNewTokens(2).build());

    SchedulerOutput first = driver.step();
    assertThat(first.encoderInputs()).extracting(EncoderInput::requestId, EncoderInput::imageIndex)
        .containsExactly(tuple("r1", 0));
    // r1 stops before its second image; r2 cannot start, its image does not fit what is left.
    assertThat(first.prefills()).extracting(ScheduledChunk::requestId, ScheduledChunk::endPosition)
        .containsExactly(tuple("r1", 10));

    SchedulerOutput second = driver.step();
    assertThat(second.encoderInputs()).extracting(EncoderInput::requestId, EncoderInput::imageIndex)
        .containsExactly(tuple("r1", 1));
    assertThat(second.prefills()).extracting(ScheduledChunk::requestId, ScheduledChunk::endPosition)
        .containsExactly(tuple("r1", 20));

    SchedulerOutput third = driver.step();
    assertThat(third.encoderInputs()).extracting(EncoderInput::requestId).containsExactly("r2");
    assertThat(third.encoderTokens()).isEqualTo(6);
    assertThat(third.decodes()).extracting(ScheduledChunk::requestId).containsExactly("r1");
    assertThat(third.prefills()).extracting(ScheduledChunk::requestId).containsExactly("r2");

    driver.runUntilIdle(10);
    assertThat(driver.tokensOf("r1")).isEqualTo(driver.model.expectedOutput(prompt(20, 100 + Math.abs("r1".hashCode() % 500)), 2));
    assertThat(driver.finishes.get("r2").imageTokens()).isEqualTo(6);
  }

  @Test
  void runningSequenceLimitCapsAdmission() {
    start(config().maxRunningSequences(2));
    for (String id : List.of("a", "b", "c")) {
      scheduler().add(request(id, 3).maxNewTokens(3).build());
    }
    SchedulerOutput first = driver.step();
    assertThat(first.prefills()).extracting(ScheduledChunk::requestId).containsExactly("a", "b");
    assertThat(scheduler().runningCount()).isEqualTo(2);
    assertThat(scheduler().waitingCount()).isEqualTo(1);
    driver.runUntilIdle(20);
    assertThat(driver.finishes).containsOnlyKeys("a", "b", "c");
  }
}
