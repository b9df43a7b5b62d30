package dev.vlm.client.bench;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * One kind of request in a benchmark mix.
 *
 * @param name a label for reports
 * @param weight the relative share of requests of this class, positive
 * @param images image files sent with every request of this class, in order (empty: none)
 * @param prompt the prompt text or its generated length
 * @param output how many tokens to ask for
 * @param ignoreEos whether generation continues past end-of-sequence, so that the output
 *     length is exactly the requested one
 * @param temperature the sampling temperature (0 = greedy)
 */
public record RequestClass(
    String name,
    double weight,
    List<Path> images,
    PromptSource prompt,
    OutputLength output,
    boolean ignoreEos,
    float temperature) {
  /**
   * Validates the class.
   *
   * @throws BenchSpecException if the weight is not positive or the temperature is negative
   */
  public RequestClass {
    Objects.requireNonNull(name, "name");
    images = List.copyOf(images);
    Objects.requireNonNull(prompt, "prompt");
    Objects.requireNonNull(output, "output");
    if (!(weight > 0) || Double.isInfinite(weight)) {
      throw new BenchSpecException("weight must be a positive number, got " + weight);
    }
    if (!(temperature >= 0) || Float.isInfinite(temperature)) {
      throw new BenchSpecException("temperature must be a finite number >= 0, got " + temperature);
    }
  }
}
