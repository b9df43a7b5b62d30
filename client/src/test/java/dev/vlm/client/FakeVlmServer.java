package dev.vlm.client;

import dev.vlm.api.v1.FinishReason;
import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.GetModelRequest;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.api.v1.ListModelsRequest;
import dev.vlm.api.v1.ListModelsResponse;
import dev.vlm.api.v1.LoadModelRequest;
import dev.vlm.api.v1.ModelInfo;
import dev.vlm.api.v1.ModelState;
import dev.vlm.api.v1.ModelsGrpc;
import dev.vlm.api.v1.Usage;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A real gRPC server with a scripted implementation of the vlm.v1 services, for tests.
 *
 * <p>What {@code Generate} and {@code GenerateStream} do depends on the requested model name:
 *
 * <ul>
 *   <li>{@value #SLOW}: streams {@code "tick"} every few milliseconds until the client cancels;
 *       the unary call never answers. {@link #awaitCancel} sees the cancellation.
 *   <li>{@code fail-CODE} (e.g. {@code fail-NOT_FOUND}): fails at once with that status.
 *   <li>{@code partial-fail-CODE}: streams the first delta, then fails with that status.
 *   <li>any other name: streams {@link #DELTAS} with token ids 1, 2, 3, ... and a last message
 *       with finish reason LENGTH and usage; the unary call returns the same, concatenated.
 * </ul>
 *
 * <p>Every call is recorded with the {@code x-tenant} header and deadline it arrived with.
 */
public final class FakeVlmServer implements AutoCloseable {
  /** The canned deltas of every ordinary generation. */
  public static final List<String> DELTAS = List.of("Hel", "lo, ", "wor", "ld", "!");

  /** The model whose generation never ends on its own. */
  public static final String SLOW = "slow";

  /** A call as the server saw it. */
  public record RecordedCall(GenerateRequest request, String tenant, Deadline deadline) {}

  private static final Context.Key<String> TENANT = Context.key("tenant");
  private static final Context.Key<Deadline> DEADLINE = Context.key("deadline");

  private final BlockingQueue<RecordedCall> calls = new LinkedBlockingQueue<>();
  private final CountDownLatch cancelled = new CountDownLatch(1);
  private final AtomicReference<List<ModelInfo>> models = new AtomicReference<>(List.of());
  private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
  private final Server server;
  private final String inProcessName;

  private FakeVlmServer(ServerBuilder<?> builder, String inProcessName) throws IOException {
    this.inProcessName = inProcessName;
    ServerInterceptor recordHeaders = new HeaderRecorder();
    this.server =
        builder
            .addService(ServerInterceptors.intercept(new FakeInference(), recordHeaders))
            .addService(ServerInterceptors.intercept(new FakeModels(), recordHeaders))
            .build()
            .start();
  }

  /** Starts a server reachable in-process only; see {@link #newChannel}. */
  public static FakeVlmServer inProcess() throws IOException {
    String name = InProcessServerBuilder.generateName();
    return new FakeVlmServer(InProcessServerBuilder.forName(name), name);
  }

  /** Starts a server on a free loopback TCP port; see {@link #port}. */
  public static FakeVlmServer onLoopbackSocket() throws IOException {
    return new FakeVlmServer(
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)), null);
  }

  /** Opens a channel to the in-process server; the caller closes it. */
  public ManagedChannel newChannel() {
    return InProcessChannelBuilder.forName(inProcessName).build();
  }

  /** The TCP port of a socket server. */
  public int port() {
    return server.getPort();
  }

  /** Sets what the Models service reports. */
  public void setModels(List<ModelInfo> catalogue) {
    models.set(List.copyOf(catalogue));
  }

  /** Waits for the next recorded Generate or GenerateStream call. */
  public RecordedCall takeCall() throws InterruptedException {
    RecordedCall call = calls.poll(5, TimeUnit.SECONDS);
    if (call == null) {
      throw new AssertionError("the server received no call within 5 s");
    }
    return call;
  }

  /** Whether no Generate or GenerateStream call is waiting to be taken. */
  public boolean receivedNoCalls() {
    return calls.isEmpty();
  }

  /** Whether the server saw a call cancelled by the client within 5 seconds. */
  public boolean awaitCancel() throws InterruptedException {
    return cancelled.await(5, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    ticker.shutdownNow();
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  /** The full response of an ordinary generation, as the unary call returns it. */
  public static GenerateResponse fullResponse(String requestId) {
    GenerateResponse.Builder response = GenerateResponse.newBuilder().setRequestId(requestId);
    for (int i = 0; i < DELTAS.size(); i++) {
      response.addTokenIds(i + 1);
    }
    return response
        .setText(String.join("", DELTAS))
        .setFinishReason(FinishReason.FINISH_REASON_LENGTH)
        .setUsage(usage())
        .build();
  }

  private static Usage usage() {
    return Usage.newBuilder()
        .setPromptTokens(7)
        .setCompletionTokens(DELTAS.size())
        .setImageTokens(3)
        .build();
  }

  private static Status scriptedFailure(String model) {
    String code = model.substring(model.lastIndexOf('-') + 1);
    return Status.fromCode(Status.Code.valueOf(code))
        .withDescription("scripted failure for model " + model);
  }

  private void record(GenerateRequest request) {
    calls.add(new RecordedCall(request, TENANT.get(), DEADLINE.get()));
  }

  private final class FakeInference extends InferenceGrpc.InferenceImplBase {
    @Override
    public void generate(GenerateRequest request, StreamObserver<GenerateResponse> responses) {
      record(request);
      ServerCallStreamObserver<GenerateResponse> call =
          (ServerCallStreamObserver<GenerateResponse>) responses;
      call.setOnCancelHandler(cancelled::countDown);
      String model = request.getModel();
      if (model.equals(SLOW)) {
        return; // Answers never; only a cancellation or deadline ends the call.
      }
      if (model.startsWith("fail-")) {
        responses.onError(scriptedFailure(model).asRuntimeException());
        return;
      }
      responses.onNext(fullResponse(request.getRequestId()));
      responses.onCompleted();
    }

    @Override
    public void generateStream(
        GenerateRequest request, StreamObserver<GenerateResponse> responses) {
      record(request);
      ServerCallStreamObserver<GenerateResponse> call =
          (ServerCallStreamObserver<GenerateResponse>) responses;
      String model = request.getModel();
      if (model.equals(SLOW)) {
        streamTicksUntilCancelled(request, call);
        return;
      }
      call.setOnCancelHandler(cancelled::countDown);
      if (model.startsWith("fail-")) {
        responses.onError(scriptedFailure(model).asRuntimeException());
        return;
      }
      for (int i = 0; i < DELTAS.size(); i++) {
        GenerateResponse.Builder delta =
            GenerateResponse.newBuilder()
                .setRequestId(request.getRequestId())
                .addTokenIds(i + 1)
                .setText(DELTAS.get(i));
        if (i == DELTAS.size() - 1) {
          delta.setFinishReason(FinishReason.FINISH_REASON_LENGTH).setUsage(usage());
        }
        responses.onNext(delta.build());
        if (model.startsWith("partial-fail-")) {
          responses.onError(scriptedFailure(model).asRuntimeException());
          return;
        }
      }
      responses.onCompleted();
    }

    private void streamTicksUntilCancelled(
        GenerateRequest request, ServerCallStreamObserver<GenerateResponse> call) {
      GenerateResponse tick =
          GenerateResponse.newBuilder()
              .setRequestId(request.getRequestId())
              .addTokenIds(9)
              .setText("tick")
              .build();
      AtomicReference<ScheduledFuture<?>> ticks = new AtomicReference<>();
      // Only the ticker thread writes to the call; the cancel handler stops it from writing.
      call.setOnCancelHandler(
          () -> {
            ticks.get().cancel(false);
            cancelled.countDown();
          });
      ticks.set(
          ticker.scheduleAtFixedRate(
              () -> {
                if (!call.isCancelled() && call.isReady()) {
                  call.onNext(tick);
                }
              },
              0,
              5,
              TimeUnit.MILLISECONDS));
    }
  }

  private final class FakeModels extends ModelsGrpc.ModelsImplBase {
    @Override
    public void listModels(
        ListModelsRequest request, StreamObserver<ListModelsResponse> responses) {
      responses.onNext(ListModelsResponse.newBuilder().addAllModels(models.get()).build());
      responses.onCompleted();
    }

    @Override
    public void getModel(GetModelRequest request, StreamObserver<ModelInfo> responses) {
      models.get().stream()
          .filter(model -> model.getName().equals(request.getName()))
          .findFirst()
          .ifPresentOrElse(
              model -> {
                responses.onNext(model);
                responses.onCompleted();
              },
              () ->
                  responses.onError(
                      Status.NOT_FOUND
                          .withDescription("no model named \"" + request.getName() + "\"")
                          .asRuntimeException()));
    }

    /** Answers after 600 ms with the model LOADED, so a client can watch it LOADING meanwhile. */
    @Override
    public void loadModel(LoadModelRequest request, StreamObserver<ModelInfo> responses) {
      ticker.schedule(
          () ->
              models.get().stream()
                  .filter(model -> model.getName().equals(request.getName()))
                  .findFirst()
                  .ifPresentOrElse(
                      model -> {
                        responses.onNext(
                            model.toBuilder()
                                .setState(ModelState.MODEL_STATE_LOADED)
                                .clearDownloadDoneBytes()
                                .clearDownloadTotalBytes()
                                .clearDownloadFile()
                                .build());
                        responses.onCompleted();
                      },
                      () ->
                          responses.onError(
                              Status.NOT_FOUND
                                  .withDescription("no model named \"" + request.getName() + "\"")
                                  .asRuntimeException())),
          600,
          TimeUnit.MILLISECONDS);
    }
  }

  /** Puts the tenant header and the call's deadline where the services can record them. */
  private static final class HeaderRecorder implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
        ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
      Context context =
          Context.current()
              .withValue(TENANT, headers.get(VlmClient.TENANT_HEADER))
              .withValue(DEADLINE, Context.current().getDeadline());
      return Contexts.interceptCall(context, call, headers, next);
    }
  }
}
