package dev.vlm.server.grpc;

import dev.vlm.server.auth.Quotas;
import dev.vlm.server.generation.FinishReason;
import dev.vlm.server.generation.Usage;
import dev.vlm.server.metrics.AccessLog;
import dev.vlm.server.metrics.TenantMetrics;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Wraps a request's {@link Responder} to account for it when it ends, however it ends: gives
 * back its quota lease and charges its tokens, records the tenant's metrics and writes its
 * access-log line. The end can come from the handler thread (refused before queuing) or the
 * model's thread; exactly one counts.
 */
final class AccountedResponder implements Responder {
  private final Responder delegate;
  private final String requestId;
  private final String tenant;
  private final String model;
  private final TenantMetrics metrics;
  private final Executor logWriter;
  private final long startNanos = System.nanoTime();
  private final AtomicBoolean ended = new AtomicBoolean();
  private volatile Quotas.Lease lease;
  private volatile Duration queued;
  private volatile Duration firstToken;

  /**
   * @param logWriter writes the access-log line, so the model's thread never waits on log I/O
   */
  AccountedResponder(
      Responder delegate, String requestId, String tenant, String model, TenantMetrics metrics, Executor logWriter) {
    this.delegate = delegate;
    this.logWriter = logWriter;
    this.requestId = requestId;
    this.tenant = tenant;
    this.model = model;
    this.metrics = metrics;
  }

  /** The quota lease to release when the request ends. */
  void holding(Quotas.Lease lease) {
    this.lease = lease;
  }

  @Override
  public boolean isCancelled() {
    return delegate.isCancelled();
  }

  @Override
  public void onStarted(Duration waited) {
    queued = waited;
    metrics.queued(tenant, waited);
  }

  @Override
  public void onTokens(int[] tokenIds, String text) {
    if (firstToken == null && tokenIds.length > 0) {
      firstToken = Duration.ofNanos(System.nanoTime() - startNanos);
    }
    delegate.onTokens(tokenIds, text);
  }

  @Override
  public void onFinish(FinishReason reason, Usage usage) {
    end("OK", usage);
    delegate.onFinish(reason, usage);
  }

  @Override
  public void onError(RuntimeException error) {
    end(StatusMapper.codeOf(error).name(), new Usage(0, 0, 0));
    delegate.onError(error);
  }

  private void end(String status, Usage usage) {
    if (!ended.compareAndSet(false, true)) {
      return;
    }
    Quotas.Lease held = lease;
    if (held != null) {
      held.release((long) usage.promptTokens() + usage.completionTokens());
    }
    metrics.finished(tenant, usage.promptTokens(), usage.completionTokens());
    AccessLog.Entry entry = new AccessLog.Entry(requestId, tenant, model, status, usage.promptTokens(),
        usage.completionTokens(), queued, firstToken, Duration.ofNanos(System.nanoTime() - startNanos));
    try {
      logWriter.execute(() -> AccessLog.write(entry));
    } catch (RejectedExecutionException e) {
      AccessLog.write(entry); // shutting down: write it here rather than lose it
    }
  }
}
