package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.server.config.BatchingSettings;
import dev.vlm.server.serving.ModelStatus;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code --static-batching} reaches the model's scheduler: a request that arrives while a batch
 * runs waits until that batch has finished, where continuous batching lets it join and finish
 * first. The benchmark's baseline (c) depends on it.
 */
class StaticBatchingTest {
  private static final int LONG = 300;

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void aNewcomerJoinsTheRunningBatchOnlyWithoutStaticBatching(boolean staticBatching) throws Exception {
    var config = RunningServer.tinyLlavaConfig()
        .withBatching(BatchingSettings.defaults().withStaticBatching(staticBatching));
    try (RunningServer server = RunningServer.start(config)) {
      Iterator<GenerateResponse> longStream =
          InferenceGrpc.newBlockingStub(server.channel).generateStream(LongRequests.ofTokens(LONG));
      longStream.next(); // the long request is running
      CompletableFuture<Integer> drained = CompletableFuture.supplyAsync(() -> {
        int tokens = 1;
        while (longStream.hasNext()) {
          tokens += longStream.next().getTokenIdsCount();
        }
        return tokens;
      });

      GenerateResponse shortOne = InferenceGrpc.newBlockingStub(server.channel).generate(LongRequests.ofTokens(2));
      ModelStatus whenShortEnded =
          LongRequests.awaitModel(server.server, "tiny-llava", m -> true, Duration.ofSeconds(1));

      assertThat(shortOne.getTokenIdsCount()).isEqualTo(2);
      assertThat(drained.get(60, TimeUnit.SECONDS)).isEqualTo(LONG);
      if (staticBatching) {
        // It could start only once the long one had made all its tokens.
        assertThat(whenShortEnded.generatedTokens()).isGreaterThanOrEqualTo(LONG + 2);
      } else {
        assertThat(whenShortEnded.generatedTokens()).isLessThan(LONG);
      }
    }
  }
}
