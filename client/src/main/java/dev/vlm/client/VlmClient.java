package dev.vlm.client;

import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.GetModelRequest;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.api.v1.ListModelsRequest;
import dev.vlm.api.v1.LoadModelRequest;
import dev.vlm.api.v1.ModelInfo;
import dev.vlm.api.v1.ModelsGrpc;
import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.ClientInterceptors;
import io.grpc.Context;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A client for a vision-language model server speaking the vlm.v1 gRPC API.
 *
 * <pre>{@code
 * try (VlmClient client = VlmClient.connect("localhost:50051")) {
 *   GenerateResponse answer = client.generate(
 *       Requests.chat("tiny-llava").user("Hi!").maxNewTokens(16).build());
 *   System.out.println(answer.getText());
 * }
 * }</pre>
 *
 * <p><b>Errors.</b> Every call reports a failed RPC as an {@link StatusRuntimeException} (thrown,
 * or delivered to the future or listener) carrying the server's status unchanged:
 * INVALID_ARGUMENT for a malformed request (the description names the field), NOT_FOUND for an
 * unknown model, RESOURCE_EXHAUSTED when a limit is reached, UNAVAILABLE when the model or
 * server cannot serve now (or the server cannot be reached), DEADLINE_EXCEEDED when the
 * {@linkplain ClientOptions#withDeadline deadline} passed, CANCELLED when the call was
 * cancelled.
 *
 * <p><b>Options.</b> The {@link ClientOptions} given at creation apply to every call: the API
 * key goes out as {@code authorization: Bearer KEY}, the tenant id as the {@code x-tenant}
 * header, the deadline starts anew with each call; {@link #connect} uses their TLS settings.
 * A secured server answers UNAUTHENTICATED without a valid key and PERMISSION_DENIED when the
 * key's role may not do what is asked.
 *
 * <p><b>Thread-safety.</b> Thread-safe: share one client between threads; calls run
 * concurrently over one channel.
 */
public final class VlmClient implements AutoCloseable {
  /** The header that carries the API key, as {@code Bearer KEY}. */
  public static final Metadata.Key<String> AUTHORIZATION_HEADER =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  /** The header that carries the tenant id. */
  public static final Metadata.Key<String> TENANT_HEADER =
      Metadata.Key.of("x-tenant", Metadata.ASCII_STRING_MARSHALLER);

  private static final long CLOSE_GRACE_SECONDS = 5;

  private final Channel channel;
  private final ManagedChannel ownedChannel;
  private final ClientOptions options;

  /**
   * Wraps an existing channel with {@linkplain ClientOptions#defaults() default options}. The
   * caller keeps ownership: {@link #close} leaves the channel open.
   *
   * @param channel the channel to the server
   */
  public VlmClient(Channel channel) {
    this(channel, ClientOptions.defaults());
  }

  /**
   * Wraps an existing channel. The caller keeps ownership: {@link #close} leaves the channel
   * open.
   *
   * @param channel the channel to the server
   * @param options the tenant and deadline for every call
   */
  public VlmClient(Channel channel, ClientOptions options) {
    this(channel, null, options);
  }

  private VlmClient(Channel channel, ManagedChannel ownedChannel, ClientOptions options) {
    Objects.requireNonNull(channel, "channel");
    this.options = Objects.requireNonNull(options, "options");
    this.ownedChannel = ownedChannel;
    Metadata headers = new Metadata();
    options.tenant().ifPresent(tenant -> headers.put(TENANT_HEADER, tenant));
    options.apiKey().ifPresent(key -> headers.put(AUTHORIZATION_HEADER, "Bearer " + key));
    this.channel =
        headers.keys().isEmpty()
            ? channel
            : ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  /**
   * Opens a plaintext channel to {@code target} with default options. The client owns the
   * channel and shuts it down on {@link #close}. Connecting is lazy: an unreachable server shows
   * up as UNAVAILABLE on the first call.
   *
   * @param target {@code host:port}, or any target name gRPC resolves (e.g. {@code
   *     dns:///host:port})
   * @return the client
   * @throws IllegalArgumentException if {@code target} is blank or malformed
   */
  public static VlmClient connect(String target) {
    return connect(target, ClientOptions.defaults());
  }

  /**
   * Opens a channel to {@code target}, over TLS if {@link ClientOptions#tls()} says so, else in
   * plaintext. The client owns the channel and shuts it down on {@link #close}. Connecting is
   * lazy: an unreachable server (or a failed TLS handshake) shows up as UNAVAILABLE on the first
   * call.
   *
   * @param target {@code host:port}, or any target name gRPC resolves
   * @param options the API key, tenant, deadline and TLS for every call
   * @return the client
   * @throws IllegalArgumentException if {@code target} is blank or malformed, or a TLS file
   *     cannot be read
   */
  public static VlmClient connect(String target, ClientOptions options) {
    Objects.requireNonNull(target, "target");
    if (target.isBlank()) {
      throw new IllegalArgumentException("target must not be blank; expected host:port");
    }
    ManagedChannel channel =
        Grpc.newChannelBuilder(target, options.tls().map(VlmClient::tlsCredentials)
            .orElseGet(InsecureChannelCredentials::create)).build();
    return new VlmClient(channel, channel, options);
  }

  private static ChannelCredentials tlsCredentials(ClientTls tls) {
    TlsChannelCredentials.Builder builder = TlsChannelCredentials.newBuilder();
    try {
      if (tls.caCertificate().isPresent()) {
        builder.trustManager(tls.caCertificate().get().toFile());
      }
      if (tls.certificate().isPresent()) {
        builder.keyManager(tls.certificate().get().toFile(), tls.privateKey().orElseThrow().toFile());
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the TLS files " + tls + ": " + e.getMessage(), e);
    }
    return builder.build();
  }

  /**
   * Returns the options applied to every call.
   *
   * @return the options
   */
  public ClientOptions options() {
    return options;
  }

  /**
   * Generates a whole completion, waiting for it.
   *
   * @param request the request (see {@link Requests})
   * @return the generated tokens and text, with finish reason and usage
   * @throws StatusRuntimeException if the call fails; CANCELLED if the waiting thread is
   *     interrupted
   */
  public GenerateResponse generate(GenerateRequest request) {
    Objects.requireNonNull(request, "request");
    return withDeadline(InferenceGrpc.newBlockingStub(channel)).generate(request);
  }

  /**
   * Starts generating a whole completion without waiting. Cancelling the returned future
   * cancels the RPC, and the server stops generating; cancelling a stage derived from it (such
   * as {@code thenApply}) does not.
   *
   * @param request the request (see {@link Requests})
   * @return a future completed with the response, or exceptionally with a {@link
   *     StatusRuntimeException}
   */
  public CompletableFuture<GenerateResponse> generateAsync(GenerateRequest request) {
    Objects.requireNonNull(request, "request");
    Context.CancellableContext context = Context.current().withCancellation();
    CancellableResponseFuture future = new CancellableResponseFuture(context);
    context.run(() -> withDeadline(InferenceGrpc.newStub(channel)).generate(request, future));
    return future;
  }

  /**
   * Starts a streamed generation that pushes each new piece of output to {@code listener}.
   *
   * @param request the request (see {@link Requests})
   * @param listener receives the responses, then the end or the error
   * @return a handle to cancel the stream
   */
  public StreamHandle generateStream(GenerateRequest request, GenerationListener listener) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(listener, "listener");
    Context.CancellableContext context = Context.current().withCancellation();
    context.run(
        () ->
            withDeadline(InferenceGrpc.newStub(channel))
                .generateStream(request, new ListenerAdapter(listener, context)));
    return new StreamHandle(context);
  }

  /**
   * Starts a streamed generation read by blocking iteration. Close the returned stream (use
   * try-with-resources) so that a stream abandoned early is cancelled.
   *
   * @param request the request (see {@link Requests})
   * @return the stream of responses; its methods throw {@link StatusRuntimeException} on failure
   */
  public ResponseStream stream(GenerateRequest request) {
    Objects.requireNonNull(request, "request");
    InferenceGrpc.InferenceStub stub = withDeadline(InferenceGrpc.newStub(channel));
    return ResponseStream.start(observer -> stub.generateStream(request, observer));
  }

  /**
   * Lists every model the server is configured to serve, in name order.
   *
   * @return the models with their state
   * @throws StatusRuntimeException if the call fails
   */
  public List<ModelInfo> listModels() {
    return withDeadline(ModelsGrpc.newBlockingStub(channel))
        .listModels(ListModelsRequest.getDefaultInstance())
        .getModelsList();
  }

  /**
   * Describes one model.
   *
   * @param name the model's name
   * @return the model and its state
   * @throws StatusRuntimeException if the call fails; NOT_FOUND if no model has that name
   */
  public ModelInfo getModel(String name) {
    Objects.requireNonNull(name, "name");
    return withDeadline(ModelsGrpc.newBlockingStub(channel))
        .getModel(GetModelRequest.newBuilder().setName(name).build());
  }

  /**
   * Makes a model resident on the server and waits until it is; a server that allows downloads
   * first pulls a Hub model missing from its cache ({@link #getModel} shows the progress).
   *
   * @param name the model's name
   * @return the model, LOADED
   * @throws StatusRuntimeException if the call fails: NOT_FOUND for an unknown name, UNAVAILABLE
   *     if the model cannot be loaded (the description says why), RESOURCE_EXHAUSTED if it does
   *     not fit the server's memory budget
   */
  public ModelInfo loadModel(String name) {
    Objects.requireNonNull(name, "name");
    return withDeadline(ModelsGrpc.newBlockingStub(channel))
        .loadModel(LoadModelRequest.newBuilder().setName(name).build());
  }

  /**
   * Shuts down the channel if this client opened it, waiting a few seconds for calls in flight
   * to finish before cancelling them. A wrapped channel is left open. Idempotent.
   */
  @Override
  public void close() {
    if (ownedChannel == null) {
      return;
    }
    ownedChannel.shutdown();
    try {
      if (!ownedChannel.awaitTermination(CLOSE_GRACE_SECONDS, TimeUnit.SECONDS)) {
        ownedChannel.shutdownNow();
      }
    } catch (InterruptedException e) {
      ownedChannel.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  private <S extends AbstractStub<S>> S withDeadline(S stub) {
    return options
        .deadline()
        .map(deadline -> stub.withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS))
        .orElse(stub);
  }

  /** A response future whose cancellation cancels the RPC through the call's context. */
  private static final class CancellableResponseFuture extends CompletableFuture<GenerateResponse>
      implements StreamObserver<GenerateResponse> {
    private final Context.CancellableContext context;
    private GenerateResponse response;

    CancellableResponseFuture(Context.CancellableContext context) {
      this.context = context;
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      boolean cancelled = super.cancel(mayInterruptIfRunning);
      context.cancel(Statuses.cancelledByCaller());
      return cancelled;
    }

    @Override
    public void onNext(GenerateResponse value) {
      response = value;
    }

    @Override
    public void onError(Throwable error) {
      completeExceptionally(Statuses.asStatusException(error));
      context.cancel(null);
    }

    @Override
    public void onCompleted() {
      complete(response);
      context.cancel(null);
    }
  }

  /** Forwards gRPC's callbacks to a {@link GenerationListener}. */
  private static final class ListenerAdapter implements StreamObserver<GenerateResponse> {
    private final GenerationListener listener;
    private final Context.CancellableContext context;

    ListenerAdapter(GenerationListener listener, Context.CancellableContext context) {
      this.listener = listener;
      this.context = context;
    }

    @Override
    public void onNext(GenerateResponse response) {
      listener.onResponse(response);
    }

    @Override
    public void onError(Throwable error) {
      try {
        listener.onError(Statuses.asStatusException(error));
      } finally {
        context.cancel(null);
      }
    }

    @Override
    public void onCompleted() {
      try {
        listener.onCompleted();
      } finally {
        context.cancel(null);
      }
    }
  }
}
