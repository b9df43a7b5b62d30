package dev.vlm.server.generation;

import dev.vlm.server.engine.KvSequence;
import dev.vlm.server.errors.InvalidArgumentException;
import dev.vlm.server.text.IncrementalDetokenizer;
import java.util.function.BooleanSupplier;

/**
 * Runs one request to completion on one model: prepares the prompt, prefills it, then decodes
 * token by token until end-of-sequence, a stop string, the length limit or cancellation.
 * One instance per request, used by the model's thread only.
 */
public final class Generator {
  private final LoadedModel model;
  private final int serverDefaultMaxNewTokens;

  /**
   * @param serverDefaultMaxNewTokens output length when neither the request nor the model's
   *     generation_config.json sets one
   */
  public Generator(LoadedModel model, int serverDefaultMaxNewTokens) {
    this.model = model;
    this.serverDefaultMaxNewTokens = serverDefaultMaxNewTokens;
  }

  /**
   * Generates, reporting to {@code sink}; never throws: failures go to {@link
   * GenerationSink#onError}.
   *
   * @param cancelled polled before every step
   */
  public void run(GenerationRequest request, GenerationSink sink, BooleanSupplier cancelled) {
    try {
      if (cancelled.getAsBoolean()) {
        sink.onFinish(FinishReason.CANCELLED, new Usage(0, 0, 0));
        return;
      }
      PreparedPrompt prompt = PromptPreparer.prepare(model, request.prompt());
      int promptTokens = prompt.tokenIds().length;
      int maxNewTokens = maxNewTokens(request.sampling(), promptTokens);
      TokenChooser chooser = SamplingResolver.chooser(request.sampling(), model, prompt.tokenIds());
      OutputText output = new OutputText(new IncrementalDetokenizer(model.tokenizer(), true), request.sampling().stop());
      boolean stopAtEos = !request.sampling().ignoreEos();

      try (KvSequence sequence = model.engine().newSequence()) {
        float[] logits = sequence.forward(promptEmbeddings(prompt), promptTokens);
        int generated = 0;
        FinishReason reason = FinishReason.LENGTH;
        while (generated < maxNewTokens) {
          if (cancelled.getAsBoolean()) {
            reason = FinishReason.CANCELLED;
            break;
          }
          int token = chooser.choose(logits);
          generated++;
          boolean eos = stopAtEos && model.defaults().eosTokenIds().contains(token);
          OutputText.Delta delta = output.push(token);
          if (delta.stopped()) {
            sink.onTokens(new int[] {token}, delta.text());
            reason = FinishReason.STOP;
            break;
          }
          if (eos) {
            sink.onTokens(new int[] {token}, delta.text() + output.flush());
            reason = FinishReason.EOS;
            break;
          }
          String text = delta.text();
          if (generated == maxNewTokens) {
            text += output.flush();
          }
          sink.onTokens(new int[] {token}, text);
          if (generated < maxNewTokens) {
            logits = sequence.forward(model.engine().embed(new int[] {token}), 1);
          }
        }
        sink.onFinish(reason, new Usage(promptTokens, generated, prompt.imageTokens()));
      }
    } catch (RuntimeException e) {
      sink.onError(e);
    }
  }

  private int maxNewTokens(SamplingRequest sampling, int promptTokens) {
    int room = model.maxContextTokens() - promptTokens;
    if (room <= 0) {
      throw new InvalidArgumentException(
          "prompt",
          "is " + promptTokens + " tokens (images included), which fills the model's context of "
              + model.maxContextTokens() + " tokens");
    }
    if (sampling.maxNewTokens().isPresent()) {
      int asked = sampling.maxNewTokens().getAsInt();
      if (asked > room) {
        throw new InvalidArgumentException(
            "sampling.max_new_tokens",
            asked + " new tokens after a " + promptTokens + "-token prompt exceed the model's context of "
                + model.maxContextTokens() + " tokens (at most " + room + " here)");
      }
      return asked;
    }
    return Math.min(room, model.defaults().maxNewTokens().orElse(serverDefaultMaxNewTokens));
  }

  /** The prompt's embeddings, with image feature rows written over the image tokens. */
  private float[] promptEmbeddings(PreparedPrompt prompt) {
    int[] ids = prompt.tokenIds();
    float[] embeds = model.engine().embed(ids);
    int hidden = model.engine().hiddenSize();
    int row = 0;
    for (int position = 0; position < ids.length; position++) {
      if (ids[position] == model.imageTokenId()) {
        float[] features = prompt.imageFeatures().get(row++);
        if (features.length != hidden) {
          throw new IllegalStateException(
              "vision encoder gives rows of " + features.length + " but the decoder's hidden size is " + hidden);
        }
        System.arraycopy(features, 0, embeds, position * hidden, hidden);
      }
    }
    return embeds;
  }
}
