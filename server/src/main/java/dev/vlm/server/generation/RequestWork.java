package dev.vlm.server.generation;

import dev.vlm.scheduler.RequestEvent;
import dev.vlm.scheduler.loop.RequestListener;
import dev.vlm.server.engine.EngineException;
import dev.vlm.server.errors.DeadlineExceededException;
import dev.vlm.server.errors.ModelUnavailableException;
import dev.vlm.server.errors.RequestCancelledException;
import dev.vlm.server.metrics.ModelMetrics;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * Everything the server keeps for one scheduled request: its prompt and encoder inputs, its
 * sampler and output text state, and where its output goes. The engine samples and turns each
 * token into text; as the request's {@link RequestListener} it hands token and text to the
 * sink. Used only on the model's loop thread (the cancel flag excepted).
 */
final class RequestWork implements RequestListener {
  final String id;
  final PreparedPrompt prompt;
  final TokenChooser chooser;
  final OutputText output;
  final Set<Integer> eosTokenIds;
  final boolean stopAtEos;
  final int maxNewTokens;
  final BooleanSupplier cancelled;
  private final GenerationSink sink;
  private final Runnable onDone;
  private final ModelMetrics metrics;
  private final long arrivalNanos;
  private long lastTokenNanos;
  private boolean started;
  /** Encoder output per image index, kept until the request is preempted or finished. */
  final Map<Integer, float[][]> features = new HashMap<>();
  private String pendingText = "";
  private int generated;

  RequestWork(
      String id, PreparedPrompt prompt, TokenChooser chooser, OutputText output, Set<Integer> eosTokenIds,
      boolean stopAtEos, int maxNewTokens, BooleanSupplier cancelled, GenerationSink sink, Runnable onDone,
      ModelMetrics metrics) {
    this.id = id;
    this.prompt = prompt;
    this.chooser = chooser;
    this.output = output;
    this.eosTokenIds = eosTokenIds;
    this.stopAtEos = stopAtEos;
    this.maxNewTokens = maxNewTokens;
    this.cancelled = cancelled;
    this.sink = sink;
    this.onDone = onDone;
    this.metrics = metrics;
    this.arrivalNanos = System.nanoTime();
  }

  /**
   * Why a request that did not complete ended, as the status its client gets; tokens already
   * streamed stay sent, and the status says the output is cut short (never OK).
   */
  static RuntimeException cutShort(RequestEvent.Finished finished) {
    return switch (finished.reason()) {
      case ABORTED -> new RequestCancelledException("request cancelled by its client");
      case DEADLINE_EXCEEDED -> new DeadlineExceededException(
          "the request's deadline passed after " + finished.generatedTokens() + " generated token(s)");
      // A drain that ran out of time, an unload, or a loop that died: the model stopped serving.
      case SHUTDOWN -> new ModelUnavailableException(
          "the model stopped serving before the request finished (" + finished.detail() + "); retry");
      case ERROR -> new EngineException("generation failed: " + finished.detail(), null);
      case EOS, STOP, LENGTH -> throw new IllegalArgumentException(finished.reason() + " is a completion");
    };
  }

  /** The engine runs the request's first chunk: report how long it queued (once; not again after a preemption). */
  void markStarted() {
    if (started) {
      return;
    }
    started = true;
    Duration queued = Duration.ofNanos(System.nanoTime() - arrivalNanos);
    metrics.requestStarted(queued);
    sink.onStarted(queued);
  }

  /** Text released by the token just sampled; its listener event sends it. */
  void setPendingText(String text) {
    pendingText = text;
  }

  /** Counts a sampled token; true if it is the last the request may produce. */
  boolean countAndCheckLast() {
    return ++generated >= maxNewTokens;
  }

  @Override
  public void onToken(RequestEvent.Token token) {
    String text = pendingText;
    pendingText = "";
    long now = System.nanoTime();
    if (lastTokenNanos == 0) {
      metrics.firstToken(Duration.ofNanos(now - arrivalNanos));
    } else {
      metrics.outputToken(Duration.ofNanos(now - lastTokenNanos));
    }
    lastTokenNanos = now;
    sink.onTokens(new int[] {token.tokenId()}, text);
  }

  @Override
  public void onFinish(RequestEvent.Finished finished) {
    // Count the request done before its client hears the end: a client that unloads the model
    // right after its answer must not find its own request still in flight.
    try {
      onDone.run();
    } finally {
      deliverFinish(finished);
    }
  }

  private void deliverFinish(RequestEvent.Finished finished) {
    String reason = finished.reason().name().toLowerCase(Locale.ROOT);
    if (finished.reason().isCompleted()) {
      metrics.requestFinished(reason, Duration.ofNanos(System.nanoTime() - arrivalNanos),
          finished.promptTokens(), finished.generatedTokens());
    } else {
      metrics.aborted(reason);
    }
    Usage usage = new Usage(finished.promptTokens(), finished.generatedTokens(), finished.imageTokens());
    switch (finished.reason()) {
      case EOS -> sink.onFinish(FinishReason.EOS, usage);
      case STOP -> sink.onFinish(FinishReason.STOP, usage);
      case LENGTH -> sink.onFinish(FinishReason.LENGTH, usage);
      default -> sink.onError(cutShort(finished));
    }
  }
}
