package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.server.serving.ModelStatus;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Iterator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** A client that cancels its call, or whose deadline passes, stops its generation. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CancellationTest {
  // Far more than the tiny model makes before a cancel arrives; fits its 512-token context.
  private static final int LONG = 450;

  private RunningServer server;

  @BeforeAll
  void start() {
    server = RunningServer.tinyLlava();
  }

  @AfterAll
  void stop() throws InterruptedException {
    server.close();
  }

  @Test
  void cancellingAStreamStopsItsGeneration() throws Exception {
    long before = status().generatedTokens();
    try (Context.CancellableContext context = Context.current().withCancellation()) {
      Iterator<GenerateResponse> stream =
          context.call(() -> InferenceGrpc.newBlockingStub(server.channel).generateStream(LongRequests.ofTokens(LONG)));
      assertThat(stream.next().getTokenIdsCount()).isEqualTo(1);
      context.cancel(null);
    }
    ModelStatus after = LongRequests.awaitModel(server.server, "tiny-llava", m -> m.inFlightRequests() == 0, Duration.ofSeconds(10));

    assertThat(after.generatedTokens() - before).isLessThan(LONG);
    assertThat(InferenceGrpc.newBlockingStub(server.channel).generate(LongRequests.ofTokens(3)).getTokenIdsCount()).isEqualTo(3);
  }

  @Test
  void aPassedDeadlineStopsGenerationWithDeadlineExceeded() throws Exception {
    long before = status().generatedTokens();
    var stub = InferenceGrpc.newBlockingStub(server.channel).withDeadlineAfter(Duration.ofMillis(30));
    try {
      stub.generate(LongRequests.ofTokens(LONG));
      throw new AssertionError("expected DEADLINE_EXCEEDED");
    } catch (StatusRuntimeException e) {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    }
    ModelStatus after = LongRequests.awaitModel(server.server, "tiny-llava", m -> m.inFlightRequests() == 0, Duration.ofSeconds(10));
    assertThat(after.generatedTokens() - before).isLessThan(LONG);
  }

  private ModelStatus status() throws InterruptedException {
    return LongRequests.awaitModel(server.server, "tiny-llava", m -> true, Duration.ofSeconds(1));
  }
}
