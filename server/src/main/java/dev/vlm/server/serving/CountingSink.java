package dev.vlm.server.serving;

import dev.vlm.server.generation.FinishReason;
import dev.vlm.server.generation.GenerationSink;
import dev.vlm.server.generation.Usage;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** Passes output through while counting the model's generated tokens. */
final class CountingSink implements GenerationSink {
  private final GenerationSink delegate;
  private final AtomicLong tokens;

  CountingSink(GenerationSink delegate, AtomicLong tokens) {
    this.delegate = delegate;
    this.tokens = tokens;
  }

  @Override
  public void onStarted(Duration queued) {
    delegate.onStarted(queued);
  }

  @Override
  public void onTokens(int[] tokenIds, String text) {
    tokens.addAndGet(tokenIds.length);
    delegate.onTokens(tokenIds, text);
  }

  @Override
  public void onFinish(FinishReason reason, Usage usage) {
    delegate.onFinish(reason, usage);
  }

  @Override
  public void onError(RuntimeException error) {
    delegate.onError(error);
  }
}
