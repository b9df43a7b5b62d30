package dev.vlm.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.server.errors.DeadlineExceededException;
import dev.vlm.server.errors.InvalidArgumentException;
import dev.vlm.server.errors.ModelUnavailableException;
import dev.vlm.server.errors.RequestCancelledException;
import dev.vlm.server.generation.FinishReason;
import dev.vlm.server.generation.Usage;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The stream outbox over a real in-process gRPC call: the test plays the model's thread and
 * the client reads as fast or as slowly as each case needs.
 */
class StreamResponderTest {
  private static final Usage USAGE = new Usage(7, 0, 2);

  private final ExecutorService pool = Executors.newCachedThreadPool();
  private StreamHarness harness;

  @AfterEach
  void stop() throws InterruptedException {
    harness.close();
    pool.shutdownNow();
    pool.awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void aFastClientGetsEveryTokenInOrderAndFinishOnlyOnTheLast() throws Exception {
    harness = new StreamHarness(1024, pool);
    Iterator<GenerateResponse> stream =
        InferenceGrpc.newBlockingStub(harness.channel)
            .generateStream(dev.vlm.api.v1.GenerateRequest.newBuilder().setModel("m").setRequestId("r1").build());
    StreamResponder model = harness.nextResponder();
    int tokens = 500;
    pool.execute(() -> produce(model, tokens, FinishReason.LENGTH));

    List<GenerateResponse> responses = new ArrayList<>();
    stream.forEachRemaining(responses::add);

    List<Integer> ids = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    responses.forEach(r -> { ids.addAll(r.getTokenIdsList()); text.append(r.getText()); });
    assertThat(ids).isEqualTo(IntStream.range(0, tokens).boxed().toList());
    assertThat(text.toString()).isEqualTo(expectedText(tokens));
    assertThat(responses).allSatisfy(r -> assertThat(r.getRequestId()).isEqualTo("r1"));
    GenerateResponse last = responses.getLast();
    assertThat(last.getFinishReason()).isEqualTo(dev.vlm.api.v1.FinishReason.FINISH_REASON_LENGTH);
    assertThat(last.getUsage().getPromptTokens()).isEqualTo(7);
    assertThat(responses.subList(0, responses.size() - 1))
        .allSatisfy(r -> {
          assertThat(r.getFinishReason()).isEqualTo(dev.vlm.api.v1.FinishReason.FINISH_REASON_UNSPECIFIED);
          assertThat(r.hasUsage()).isFalse();
        });
    assertThat(model.isCancelled()).isFalse();
    assertThat(harness.overlappingCalls()).isZero();
  }

  @Test
  void aClientThatReadsNothingIsAbortedOnceTheBoundIsPassed() throws Exception {
    ManualExecutor drains = new ManualExecutor();
    harness = new StreamHarness(8, drains);
    ManualReader client = ManualReader.start(harness.channel, "slow");
    StreamResponder model = harness.nextResponder();

    for (int i = 0; i < 8; i++) {
      model.onTokens(new int[] {i}, "t");
    }
    drains.runAll();
    assertThat(model.isCancelled()).as("at the bound, not past it").isFalse();
    model.onTokens(new int[] {8}, "t");
    drains.runAll();
    assertThat(model.isCancelled()).isTrue();

    Status status = client.status();
    assertThat(status.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(status.getDescription()).contains("did not read the stream fast enough").contains("8");
    // The model may still be mid-step; what it sends after the abort goes nowhere, quietly.
    model.onTokens(new int[] {9}, "t");
    model.onError(new RequestCancelledException("request cancelled by its client"));
    client.read(100);
    assertThat(client.received).isEmpty();
  }

  @Test
  void responsesSentBeforeAnAbortStillArriveFirstInOrder() throws Exception {
    ManualExecutor drains = new ManualExecutor();
    harness = new StreamHarness(4, drains);
    ManualReader client = ManualReader.start(harness.channel, "r");
    StreamResponder model = harness.nextResponder();
    client.read(3);
    for (int i = 0; i < 3; i++) {
      model.onTokens(new int[] {i}, "t");
      drains.runAll();
      client.next();
    }
    for (int i = 3; i < 8; i++) {
      model.onTokens(new int[] {i}, "t");
    }
    drains.runAll();

    assertThat(model.isCancelled()).isTrue();
    assertThat(client.status().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(client.tokenIds()).containsExactly(0, 1, 2);
  }

  @Test
  void aBacklogPastTheBoundIsSentWhenTheClientIsReady() throws Exception {
    ManualExecutor drains = new ManualExecutor();
    harness = new StreamHarness(4, drains);
    ManualReader client = ManualReader.start(harness.channel, "r");
    StreamResponder model = harness.nextResponder();
    client.read(100);
    // The drain's thread is late (nothing runs it): the backlog is the server's, not the client's.
    for (int i = 0; i < 20; i++) {
      model.onTokens(new int[] {i}, "t");
    }
    model.onFinish(FinishReason.LENGTH, USAGE);
    drains.runAll();

    assertThat(client.status().isOk()).isTrue();
    assertThat(model.isCancelled()).isFalse();
    assertThat(client.tokenIds()).isEqualTo(IntStream.range(0, 20).boxed().toList());
  }

  @Test
  void outputThatWaitedForTheClientArrivesMergedWithTheFinish() throws Exception {
    ManualExecutor drains = new ManualExecutor();
    harness = new StreamHarness(100, drains);
    ManualReader client = ManualReader.start(harness.channel, "r");
    StreamResponder model = harness.nextResponder();
    produce(model, 5, FinishReason.EOS);
    drains.runAll(); // finds the client not ready: everything waits

    client.read(1);

    GenerateResponse merged = client.next();
    assertThat(merged.getTokenIdsList()).containsExactly(0, 1, 2, 3, 4);
    assertThat(merged.getText()).isEqualTo(expectedText(5));
    assertThat(merged.getFinishReason()).isEqualTo(dev.vlm.api.v1.FinishReason.FINISH_REASON_EOS);
    assertThat(merged.getUsage().getImageTokens()).isEqualTo(2);
    assertThat(client.status().isOk()).isTrue();
  }

  @Test
  void onlyTheBacklogIsMergedAndOrderIsKept() throws Exception {
    ManualExecutor drains = new ManualExecutor();
    harness = new StreamHarness(100, drains);
    ManualReader client = ManualReader.start(harness.channel, "r");
    StreamResponder model = harness.nextResponder();
    client.read(2);
    for (int i = 0; i < 10; i++) {
      model.onTokens(new int[] {i}, "t" + i + " ");
    }
    drains.runAll(); // two single-token responses fit, eight wait
    client.next();
    client.next();

    client.read(1);
    client.next(); // the eight, merged
    client.read(2);
    model.onTokens(new int[] {10}, "t10 ");
    drains.runAll(); // caught up: the next one goes out alone
    client.next();
    model.onFinish(FinishReason.STOP, USAGE);
    drains.runAll();

    assertThat(client.status().isOk()).isTrue();
    assertThat(client.received.stream().map(GenerateResponse::getTokenIdsCount).toList()).containsExactly(1, 1, 8, 1, 0);
    assertThat(client.tokenIds()).isEqualTo(IntStream.range(0, 11).boxed().toList());
    assertThat(client.received.stream().map(GenerateResponse::getText).toList())
        .containsExactly("t0 ", "t1 ", "t2 t3 t4 t5 t6 t7 t8 t9 ", "t10 ", "");
  }

  @Test
  void writesFromTheModelThreadAndTheOnReadyHandlerNeverOverlap() throws Exception {
    harness = new StreamHarness(1_000_000, pool);
    ManualReader client = ManualReader.start(harness.channel, "r");
    StreamResponder model = harness.nextResponder();
    int tokens = 20_000;
    pool.execute(() -> produce(model, tokens, FinishReason.LENGTH));
    // A reader that lets in one to three responses at a time, racing the producer.
    pool.execute(
        () -> {
          while (!client.closed.isDone()) {
            client.read(1 + ThreadLocalRandom.current().nextInt(3));
            Thread.yield();
          }
        });

    assertThat(client.status().isOk()).isTrue();
    assertThat(client.tokenIds()).isEqualTo(IntStream.range(0, tokens).boxed().toList());
    assertThat(client.received).filteredOn(r -> r.hasUsage()).hasSize(1);
    assertThat(harness.overlappingCalls()).isZero();
  }

  @Test
  void aClientCancelStopsTheModelAndLaterOutputIsDropped() throws Exception {
    harness = new StreamHarness(1024, pool);
    ManualReader client = ManualReader.start(harness.channel, "r");
    StreamResponder model = harness.nextResponder();
    client.read(1);
    model.onTokens(new int[] {0}, "t");
    client.next();

    client.cancel();
    awaitCancelled(model);

    model.onTokens(new int[] {1}, "t");
    model.onError(new RequestCancelledException("request cancelled by its client"));
    assertThat(client.status().getCode()).isEqualTo(Status.Code.CANCELLED);
    assertThat(client.tokenIds()).containsExactly(0);
  }

  @Test
  void aModelErrorReachesTheClientAfterTheTokensBeforeIt() throws Exception {
    harness = new StreamHarness(1024, pool);
    Iterator<GenerateResponse> stream =
        InferenceGrpc.newBlockingStub(harness.channel)
            .generateStream(dev.vlm.api.v1.GenerateRequest.newBuilder().setModel("m").build());
    StreamResponder model = harness.nextResponder();
    for (int i = 0; i < 3; i++) {
      model.onTokens(new int[] {i}, "t");
    }
    model.onError(new InvalidArgumentException("sampling.stop", "is bad"));

    List<Integer> ids = new ArrayList<>();
    assertThatThrownBy(() -> stream.forEachRemaining(r -> ids.addAll(r.getTokenIdsList())))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).contains("sampling.stop");
            });
    assertThat(ids).containsExactly(0, 1, 2);
  }

  private static void produce(StreamResponder model, int tokens, FinishReason reason) {
    for (int i = 0; i < tokens; i++) {
      model.onTokens(new int[] {i}, "t" + i + " ");
    }
    model.onFinish(reason, USAGE);
  }

  private static String expectedText(int tokens) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < tokens; i++) {
      text.append("t").append(i).append(' ');
    }
    return text.toString();
  }

  @Test
  void aRequestCutShortKeepsTheTokensSentAndEndsWithItsStatusInTheTrailers() throws Exception {
    // A deadline, a shutdown or an unload: never OK with a finish reason, always the true status.
    List<RuntimeException> cuts = List.of(
        new DeadlineExceededException("the request's deadline passed after 2 generated token(s)"),
        new ModelUnavailableException("the model stopped serving before the request finished (engine loop shut down)"));
    List<Status.Code> codes = List.of(Status.Code.DEADLINE_EXCEEDED, Status.Code.UNAVAILABLE);
    for (int i = 0; i < cuts.size(); i++) {
      if (harness != null) {
        harness.close();
      }
      harness = new StreamHarness(1024, pool);
      ManualReader client = ManualReader.start(harness.channel, "r");
      StreamResponder model = harness.nextResponder();
      client.read(100);
      model.onTokens(new int[] {4}, "a");
      model.onTokens(new int[] {5}, "b");
      model.onError(cuts.get(i));
      assertThat(client.status().getCode()).isEqualTo(codes.get(i));
      assertThat(client.status().getDescription()).isEqualTo(cuts.get(i).getMessage());
      assertThat(client.tokenIds()).containsExactly(4, 5);
    }
  }

  private static void awaitCancelled(StreamResponder model) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!model.isCancelled()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the responder did not see the cancel");
      }
      Thread.sleep(1);
    }
  }

  /** Runs drain tasks only when the test says so, to make the client's readiness decide. */
  private static final class ManualExecutor implements Executor {
    private final Queue<Runnable> tasks = new ArrayDeque<>();

    @Override
    public synchronized void execute(Runnable task) {
      tasks.add(task);
    }

    void runAll() {
      Runnable task;
      while ((task = poll()) != null) {
        task.run();
      }
    }

    private synchronized Runnable poll() {
      return tasks.poll();
    }
  }
}
