package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vlm.api.v1.FinishReason;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.server.TestData;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.RequestLimits;
import dev.vlm.server.config.RuntimeSettings;
import dev.vlm.server.config.ServerConfig;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Graceful shutdown: health turns NOT_SERVING, new calls are refused, in-flight requests finish
 * within the grace period, and those still running when it ends are cancelled.
 */
class ShutdownTest {
  @Test
  void inFlightRequestFinishesWhileHealthTurnsNotServing() throws Exception {
    RunningServer server = RunningServer.start(config(Duration.ofSeconds(30)));
    List<ServingStatus> health = watchHealth(server);
    Iterator<GenerateResponse> stream =
        InferenceGrpc.newBlockingStub(server.channel).generateStream(LongRequests.ofTokens(300));
    int tokens = stream.next().getTokenIdsCount();

    Thread closer = Thread.ofPlatform().start(server.server::close);
    GenerateResponse last = null;
    while (stream.hasNext()) {
      last = stream.next();
      tokens += last.getTokenIdsCount();
    }
    closer.join(TimeUnit.SECONDS.toMillis(30));

    assertThat(tokens).isEqualTo(300);
    assertThat(last.getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_LENGTH);
    assertThat(health).contains(ServingStatus.SERVING, ServingStatus.NOT_SERVING);
    assertThatThrownBy(() -> InferenceGrpc.newBlockingStub(server.channel).generate(LongRequests.ofTokens(2)))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    server.channel.shutdownNow();
  }

  @Test
  void requestStillRunningAfterTheGracePeriodEndsUnavailableKeepingItsTokens() throws Exception {
    RunningServer server = RunningServer.start(config(Duration.ZERO));
    Iterator<GenerateResponse> stream =
        InferenceGrpc.newBlockingStub(server.channel).generateStream(LongRequests.ofTokens(450));
    int tokens = stream.next().getTokenIdsCount();

    server.server.close();
    // The tokens sent before the cut stay sent; the trailers say the answer is cut short.
    int[] received = {tokens};
    assertThatThrownBy(() -> {
      while (stream.hasNext()) {
        received[0] += stream.next().getTokenIdsCount();
      }
    }).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(e.getStatus().getDescription()).contains("stopped serving");
    });
    assertThat(received[0]).isPositive().isLessThan(450);
    server.channel.shutdownNow();
  }

  private static ServerConfig config(Duration grace) {
    return new ServerConfig(
        0, List.of(new ModelSpec("tiny-llava", TestData.tinyLlava(), Optional.empty())),
        RuntimeSettings.defaults(), RequestLimits.defaults(), grace);
  }

  private static List<ServingStatus> watchHealth(RunningServer server) throws InterruptedException {
    List<ServingStatus> seen = new CopyOnWriteArrayList<>();
    HealthGrpc.newStub(server.channel).watch(HealthCheckRequest.getDefaultInstance(), new StreamObserver<>() {
      @Override
      public void onNext(HealthCheckResponse value) {
        seen.add(value.getStatus());
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    });
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (seen.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    return seen;
  }
}
