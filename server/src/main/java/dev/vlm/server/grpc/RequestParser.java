package dev.vlm.server.grpc;

import dev.vlm.api.v1.Content;
import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.Image;
import dev.vlm.api.v1.Message;
import dev.vlm.server.errors.InvalidArgumentException;
import dev.vlm.server.generation.GenerationRequest;
import dev.vlm.server.generation.Prompt;
import dev.vlm.server.generation.SamplingRequest;
import dev.vlm.server.image.ImageDecoder;
import dev.vlm.server.image.ImageException;
import dev.vlm.server.image.RgbImage;
import dev.vlm.server.template.ChatMessage;
import dev.vlm.server.template.ChatPart;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * Validates a {@link GenerateRequest} and turns it into a {@link GenerationRequest}, decoding
 * its images. Every rejection names the field at fault. Thread-safe.
 */
final class RequestParser {
  static final int MAX_STOP_STRINGS = 16;
  static final int MAX_STOP_LENGTH = 256;
  static final int MIN_PRIORITY = -100;
  static final int MAX_PRIORITY = 100;
  /** Model names and roles are short; longer ones are refused at the edge. */
  static final int MAX_NAME_LENGTH = 256;
  /** Request ids are echoed in every response; bounded, with room for clients' own schemes. */
  static final int MAX_REQUEST_ID_LENGTH = 1024;

  private final ImageDecoder images;
  private final int maxImages;

  RequestParser(ImageDecoder images, int maxImagesPerRequest) {
    this.images = images;
    this.maxImages = maxImagesPerRequest;
  }

  /**
   * @param tenant the caller's tenant, already established (see {@link AuthInterceptor})
   * @param deadlineNanos when the call's deadline passes, on {@link System#nanoTime()}'s clock
   * @throws InvalidArgumentException naming the first invalid field
   */
  GenerationRequest parse(GenerateRequest request, String tenant, OptionalLong deadlineNanos) {
    modelName(request);
    checkLength("request_id", request.getRequestId(), MAX_REQUEST_ID_LENGTH);
    int priority = priority(request);
    Prompt prompt = prompt(request);
    if (prompt.images().size() > maxImages) {
      throw new InvalidArgumentException(
          request.getMessagesCount() > 0 ? "messages" : "images",
          prompt.images().size() + " images sent; this server accepts at most " + maxImages + " per request");
    }
    return new GenerationRequest(request.getRequestId(), prompt, sampling(request), tenant, priority, deadlineNanos);
  }

  private static int priority(GenerateRequest request) {
    int priority = request.getPriority();
    if (priority < MIN_PRIORITY || priority > MAX_PRIORITY) {
      throw new InvalidArgumentException(
          "priority", "must be in [" + MIN_PRIORITY + ", " + MAX_PRIORITY + "] (higher is served sooner), got " + priority);
    }
    return priority;
  }

  /**
   * @throws InvalidArgumentException if the request names no model
   */
  static String modelName(GenerateRequest request) {
    if (request.getModel().isBlank()) {
      throw new InvalidArgumentException("model", "is required (see Models.ListModels for names)");
    }
    checkLength("model", request.getModel(), MAX_NAME_LENGTH);
    return request.getModel();
  }

  /** Refuses a name-like field too long to be real, without repeating it. */
  private static void checkLength(String field, String value, int max) {
    if (value.length() > max) {
      throw new InvalidArgumentException(field, "is " + value.length() + " characters long; at most " + max + " are accepted");
    }
  }

  private Prompt prompt(GenerateRequest request) {
    boolean chat = request.getMessagesCount() > 0;
    boolean raw = !request.getPrompt().isEmpty();
    if (chat && raw) {
      throw new InvalidArgumentException("prompt", "send either messages or prompt, not both");
    }
    if (!chat && !raw) {
      throw new InvalidArgumentException("messages", "no messages and no prompt; send one of them");
    }
    if (raw) {
      List<RgbImage> decoded = new ArrayList<>();
      for (int i = 0; i < request.getImagesCount(); i++) {
        decoded.add(decode(request.getImages(i), "images[" + i + "]"));
      }
      return new Prompt.Raw(request.getPrompt(), decoded);
    }
    if (request.getImagesCount() > 0) {
      throw new InvalidArgumentException(
          "images", "is only used with prompt; with messages, put images in the message content");
    }
    List<ChatMessage> messages = new ArrayList<>();
    List<RgbImage> decoded = new ArrayList<>();
    for (int m = 0; m < request.getMessagesCount(); m++) {
      Message message = request.getMessages(m);
      String where = "messages[" + m + "]";
      if (message.getRole().isBlank()) {
        throw new InvalidArgumentException(where + ".role", "is required (e.g. \"user\")");
      }
      checkLength(where + ".role", message.getRole(), MAX_NAME_LENGTH);
      if (message.getContentCount() == 0) {
        throw new InvalidArgumentException(where + ".content", "is empty");
      }
      List<ChatPart> parts = new ArrayList<>();
      for (int c = 0; c < message.getContentCount(); c++) {
        Content content = message.getContent(c);
        String part = where + ".content[" + c + "]";
        switch (content.getKindCase()) {
          case TEXT -> parts.add(new ChatPart.Text(content.getText()));
          case IMAGE -> {
            decoded.add(decode(content.getImage(), part + ".image"));
            parts.add(new ChatPart.Image());
          }
          case KIND_NOT_SET -> throw new InvalidArgumentException(part, "has neither text nor image");
        }
      }
      messages.add(new ChatMessage(message.getRole(), parts));
    }
    return new Prompt.Chat(messages, decoded);
  }

  private RgbImage decode(Image image, String field) {
    byte[] bytes =
        switch (image.getSourceCase()) {
          case DATA -> image.getData().toByteArray();
          case URI -> fromUri(image.getUri(), field + ".uri");
          case SOURCE_NOT_SET -> throw new InvalidArgumentException(field, "has neither data nor uri");
        };
    try {
      return images.decode(bytes);
    } catch (ImageException e) {
      throw new InvalidArgumentException(field, e.getMessage(), e);
    }
  }

  private static byte[] fromUri(String uri, String field) {
    if (!uri.startsWith("data:")) {
      // Reading server files or fetching URLs on a client's behalf would let one tenant reach
      // what it should not; clients send the bytes instead.
      throw new InvalidArgumentException(
          field, "only data: URIs are accepted (data:image/png;base64,...); send other images as bytes in data");
    }
    int comma = uri.indexOf(',');
    if (comma < 0 || !uri.substring(0, comma).endsWith(";base64")) {
      throw new InvalidArgumentException(field, "data: URI must be base64 encoded (data:<type>;base64,<data>)");
    }
    try {
      return Base64.getDecoder().decode(uri.substring(comma + 1));
    } catch (IllegalArgumentException e) {
      throw new InvalidArgumentException(field, "data: URI is not valid base64: " + e.getMessage());
    }
  }

  private static SamplingRequest sampling(GenerateRequest request) {
    var s = request.getSampling();
    Optional<Float> temperature = Optional.empty();
    if (s.hasTemperature()) {
      float t = s.getTemperature();
      if (!(t >= 0) || Float.isInfinite(t)) {
        throw new InvalidArgumentException("sampling.temperature", "must be a finite number >= 0 (0 = greedy), got " + t);
      }
      temperature = Optional.of(t);
    }
    Optional<Float> topP = Optional.empty();
    if (s.getTopP() != 0) {
      float p = s.getTopP();
      if (!(p > 0 && p <= 1)) {
        throw new InvalidArgumentException("sampling.top_p", "must be in (0, 1], got " + p);
      }
      topP = Optional.of(p);
    }
    Optional<Float> penalty = Optional.empty();
    if (s.getRepetitionPenalty() != 0) {
      float r = s.getRepetitionPenalty();
      if (!(r > 0) || Float.isInfinite(r)) {
        throw new InvalidArgumentException("sampling.repetition_penalty", "must be a finite number > 0 (1 = none), got " + r);
      }
      penalty = Optional.of(r);
    }
    long maxNewTokens = Integer.toUnsignedLong(s.getMaxNewTokens());
    if (maxNewTokens > Integer.MAX_VALUE) {
      throw new InvalidArgumentException(
          "sampling.max_new_tokens", "is far beyond any model's context: " + maxNewTokens);
    }
    if (s.getStopCount() > MAX_STOP_STRINGS) {
      throw new InvalidArgumentException("sampling.stop", "at most " + MAX_STOP_STRINGS + " stop strings, got " + s.getStopCount());
    }
    for (int i = 0; i < s.getStopCount(); i++) {
      String stop = s.getStop(i);
      if (stop.isEmpty() || stop.length() > MAX_STOP_LENGTH) {
        throw new InvalidArgumentException(
            "sampling.stop[" + i + "]", "must be 1 to " + MAX_STOP_LENGTH + " characters long");
      }
    }
    return new SamplingRequest(
        maxNewTokens == 0 ? OptionalInt.empty() : OptionalInt.of((int) maxNewTokens),
        temperature,
        topP,
        s.hasTopK()
            ? OptionalInt.of((int) Math.min(Integer.toUnsignedLong(s.getTopK()), Integer.MAX_VALUE))
            : OptionalInt.empty(),
        s.hasSeed() ? OptionalLong.of(s.getSeed()) : OptionalLong.empty(),
        penalty,
        s.getStopList(),
        s.getIgnoreEos());
  }
}
