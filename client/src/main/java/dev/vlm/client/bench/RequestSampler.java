package dev.vlm.client.bench;

import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.Image;
import dev.vlm.client.ChatRequestBuilder;
import dev.vlm.client.Images;
import dev.vlm.client.Requests;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Draws the requests of a run from a spec, deterministically from the seed: the same seed gives
 * the same sequence of classes, prompts and output lengths.
 *
 * <p>Not thread-safe: one dispatching thread draws all requests.
 */
final class RequestSampler {
  private final BenchSpec spec;
  private final String model;
  private final SplittableRandom random;
  private final double[] cumulativeWeights;
  private final List<List<Image>> imagesByClass;
  private long sequence;

  /**
   * Loads every image of the spec once.
   *
   * @throws BenchSpecException if an image file cannot be read
   */
  RequestSampler(BenchSpec spec, String model, long seed) {
    this.spec = spec;
    this.model = model;
    this.random = new SplittableRandom(seed);
    this.cumulativeWeights = new double[spec.classes().size()];
    double sum = 0;
    for (int i = 0; i < cumulativeWeights.length; i++) {
      sum += spec.classes().get(i).weight();
      cumulativeWeights[i] = sum;
    }
    Map<Path, Image> loaded = new HashMap<>();
    this.imagesByClass =
        spec.classes().stream()
            .map(c -> c.images().stream().map(path -> load(path, loaded)).toList())
            .toList();
  }

  /** A drawn request and the output length it asks for. */
  record Drawn(GenerateRequest request, int outputTokens) {}

  /** Draws the next request. */
  Drawn next() {
    int index = pickClass();
    RequestClass requestClass = spec.classes().get(index);
    String prompt = requestClass.prompt().produce(random);
    int outputTokens = requestClass.output().draw(random);
    ChatRequestBuilder builder =
        Requests.chat(model)
            .user(prompt, imagesByClass.get(index).toArray(Image[]::new))
            .maxNewTokens(outputTokens)
            .ignoreEos(requestClass.ignoreEos())
            .temperature(requestClass.temperature())
            .requestId("bench-" + sequence++);
    if (requestClass.temperature() > 0) {
      // A sampled request gets its own seed too, so a rerun sends identical work.
      builder.seed(random.nextLong() & Long.MAX_VALUE);
    }
    return new Drawn(builder.build(), outputTokens);
  }

  private int pickClass() {
    double total = cumulativeWeights[cumulativeWeights.length - 1];
    double point = random.nextDouble() * total;
    for (int i = 0; i < cumulativeWeights.length; i++) {
      if (point < cumulativeWeights[i]) {
        return i;
      }
    }
    return cumulativeWeights.length - 1;
  }

  private static Image load(Path path, Map<Path, Image> loaded) {
    Image image = loaded.get(path);
    if (image == null) {
      try {
        image = Images.fromFile(path);
      } catch (IOException | RuntimeException e) {
        throw new BenchSpecException("images: cannot read image " + path + ": " + e, e);
      }
      loaded.put(path, image);
    }
    return image;
  }
}
