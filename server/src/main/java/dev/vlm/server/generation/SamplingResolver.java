package dev.vlm.server.generation;

import dev.vlm.server.sampling.Sampler;
import dev.vlm.server.sampling.SamplingParams;

/**
 * Merges a request's sampling fields over the model's generation_config.json. A request that
 * sets no temperature samples only if the model's config says {@code do_sample}.
 */
final class SamplingResolver {
  private SamplingResolver() {}

  static SamplingParams resolve(SamplingRequest request, GenerationDefaults defaults) {
    float temperature = request.temperature().orElse(defaults.doSample() ? defaults.temperature() : 0f);
    return new SamplingParams(
        temperature,
        request.topP().orElse(defaults.topP()),
        request.topK().orElse(defaults.topK()),
        request.repetitionPenalty().orElse(defaults.repetitionPenalty()),
        request.seed());
  }

  static TokenChooser chooser(SamplingRequest request, LoadedModel model, int[] promptIds) {
    SamplingParams params = resolve(request, model.defaults());
    return new TokenChooser(new Sampler(params, model.engine().vocabSize()), promptIds);
  }
}
