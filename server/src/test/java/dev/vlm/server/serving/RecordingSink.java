package dev.vlm.server.serving;

import dev.vlm.server.generation.FinishReason;
import dev.vlm.server.generation.GenerationRequest;
import dev.vlm.server.generation.GenerationSink;
import dev.vlm.server.generation.Prompt;
import dev.vlm.server.generation.SamplingRequest;
import dev.vlm.server.generation.Usage;
import dev.vlm.server.template.ChatMessage;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

/**
 * What one submitted request saw: its first token, how it finished, or the error it ended with
 * ({@link #finish} then completes exceptionally with the same error).
 */
final class RecordingSink implements GenerationSink {
  final CountDownLatch firstToken = new CountDownLatch(1);
  final CompletableFuture<FinishReason> finish = new CompletableFuture<>();
  final CompletableFuture<RuntimeException> error = new CompletableFuture<>();

  /** A greedy chat request for {@code tokens} tokens that ignores EOS, so it runs that long. */
  static GenerationRequest storyRequest(int tokens) {
    return new GenerationRequest("r", new Prompt.Chat(List.of(ChatMessage.text("user", "Tell me a story.")), List.of()),
        new SamplingRequest(OptionalInt.of(tokens), Optional.of(0f), Optional.empty(), OptionalInt.empty(),
            OptionalLong.empty(), Optional.empty(), List.of(), true));
  }

  @Override
  public void onTokens(int[] tokenIds, String text) {
    firstToken.countDown();
  }

  @Override
  public void onFinish(FinishReason reason, Usage usage) {
    finish.complete(reason);
    error.completeExceptionally(new AssertionError("finished " + reason + " instead of failing"));
  }

  @Override
  public void onError(RuntimeException e) {
    error.complete(e);
    finish.completeExceptionally(e);
  }
}
