package dev.vlm.client;

import dev.vlm.api.v1.Content;
import dev.vlm.api.v1.Image;
import java.util.Objects;

/**
 * Entry points for building {@link dev.vlm.api.v1.GenerateRequest}s.
 *
 * <pre>{@code
 * Requests.chat("tiny-llava").user("Describe it.", Images.fromFile(path)).build();
 * Requests.raw("tiny-llava", "USER: <image>\nDescribe it. ASSISTANT:").images(image).build();
 * }</pre>
 *
 * <p>Stateless and thread-safe; the builders it returns are not.
 */
public final class Requests {
  private Requests() {}

  /**
   * Starts a chat request, rendered by the server with the model's chat template.
   *
   * @param model the name of a model the server serves
   * @return a builder for the request
   * @throws IllegalArgumentException if {@code model} is blank
   */
  public static ChatRequestBuilder chat(String model) {
    return new ChatRequestBuilder(model);
  }

  /**
   * Starts a raw request: {@code prompt} goes to the model as is.
   *
   * @param model the name of a model the server serves
   * @param prompt the whole prompt, with one image placeholder per image
   * @return a builder for the request
   * @throws IllegalArgumentException if {@code model} is blank or {@code prompt} empty
   */
  public static RawRequestBuilder raw(String model, String prompt) {
    return new RawRequestBuilder(model, prompt);
  }

  /**
   * Makes a text part of a chat message.
   *
   * @param text the text
   * @return the part
   */
  public static Content text(String text) {
    return Content.newBuilder().setText(Objects.requireNonNull(text, "text")).build();
  }

  /**
   * Makes an image part of a chat message.
   *
   * @param image the image (see {@link Images})
   * @return the part
   */
  public static Content image(Image image) {
    return Content.newBuilder().setImage(Objects.requireNonNull(image, "image")).build();
  }
}
