package dev.vlm.client;

import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.Image;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Builds a raw request: prompt text sent to the model as is, with no chat template, plus the
 * images whose placeholders (for LLaVA {@code <image>}) the prompt contains, in order. Get one
 * from {@link Requests#raw(String, String)}.
 *
 * <p>Not thread-safe: build a request on one thread.
 */
public final class RawRequestBuilder extends RequestBuilder<RawRequestBuilder> {
  private final String prompt;
  private final List<Image> images = new ArrayList<>();

  RawRequestBuilder(String model, String prompt) {
    super(model);
    Objects.requireNonNull(prompt, "prompt");
    if (prompt.isEmpty()) {
      throw new IllegalArgumentException("prompt must not be empty");
    }
    this.prompt = prompt;
  }

  /**
   * Adds images, in the order their placeholders appear in the prompt.
   *
   * @param images the images to add
   * @return this builder
   */
  public RawRequestBuilder images(Image... images) {
    for (Image image : images) {
      this.images.add(Objects.requireNonNull(image, "image"));
    }
    return this;
  }

  @Override
  void addInput(GenerateRequest.Builder request) {
    request.setPrompt(prompt).addAllImages(images);
  }
}
