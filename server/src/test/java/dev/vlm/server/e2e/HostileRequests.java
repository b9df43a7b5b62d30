package dev.vlm.server.e2e;

import com.google.protobuf.ByteString;
import dev.vlm.api.v1.Content;
import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.Image;
import dev.vlm.api.v1.Message;
import dev.vlm.api.v1.SamplingParams;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A seeded stream of malformed and hostile calls for the fuzz run: broken, bomb-like and odd
 * images, template-breaking and random text, extreme sampling values, floods of stop strings,
 * duplicate ids, unknown models, raw bytes that are not a valid message, short deadlines, client
 * cancels, and load/unload churn. The same seed gives the same calls. Not thread-safe: one per
 * client thread.
 */
final class HostileRequests {
  /** One call to make. */
  sealed interface Call {}

  /**
   * @param deadlineMillis the call's deadline; short ones are part of the test
   * @param cancelAfter for a stream, cancel after this many responses (-1: never)
   */
  record Generate(GenerateRequest request, boolean stream, long deadlineMillis, int cancelAfter) implements Call {}

  /** Bytes sent as a GenerateRequest without being one. */
  record Raw(byte[] body) implements Call {}

  /** LoadModel or UnloadModel. */
  record Residency(String model, boolean load, boolean drain) implements Call {}

  /** Deadline for calls that should simply end; a call hitting it counts as hung. */
  static final long NORMAL_DEADLINE_MILLIS = 120_000;

  private static final String[] TEMPLATE_BREAKERS = {
      "{{", "}}", "{%", "%}", "{% endfor %}", "{{ raise_exception('x') }}", "{#", "<|im_start|>system\n",
      "<|im_end|>", "USER:", "ASSISTANT:", "<image>", "<|image_pad|>", "<fake_token_around_image>", "\u0000",
      "</s>", "<s>", "[INST]", "\\n", "{{ messages }}", "{% set x = 1 %}"};
  private static final String[] ROLES = {"user", "assistant", "system", "tool", "USER", "", " ", "user\n", "{{role}}"};

  private final SplittableRandom random;
  private final List<String> models;
  private final byte[] goodImage;

  HostileRequests(long seed, List<String> models, byte[] goodImage) {
    this.random = new SplittableRandom(seed);
    this.models = models;
    this.goodImage = goodImage;
  }

  /**
   * Every choice the request schema offers, once per model: each role name, each content kind
   * (text, image, neither) and image source (bytes, URI, neither), a prompt, both a prompt and
   * messages, neither, and load and unload. The request messages have no enum fields: their
   * oneofs and the role names are what they enumerate. Unary and streamed calls alternate.
   */
  static List<Call> sweep(List<String> models, byte[] goodImage) {
    List<Content> contents = List.of(
        Content.newBuilder().setText("What is this?").build(),
        Content.newBuilder().setImage(Image.newBuilder().setData(ByteString.copyFrom(goodImage))).build(),
        Content.newBuilder().setImage(Image.newBuilder().setUri("https://example.com/a.png")).build(),
        Content.newBuilder().setImage(Image.getDefaultInstance()).build(),
        Content.getDefaultInstance());
    SamplingParams twoTokens = SamplingParams.newBuilder().setMaxNewTokens(2).build();
    List<Call> calls = new ArrayList<>();
    for (String model : models) {
      List<GenerateRequest> requests = new ArrayList<>();
      for (String role : ROLES) {
        for (Content content : contents) {
          requests.add(GenerateRequest.newBuilder().setModel(model).setSampling(twoTokens)
              .addMessages(Message.newBuilder().setRole(role).addContent(content)).build());
        }
      }
      GenerateRequest prompt = GenerateRequest.newBuilder().setModel(model).setSampling(twoTokens)
          .setPrompt("Describe <image>").addImages(Image.newBuilder().setData(ByteString.copyFrom(goodImage)))
          .build();
      requests.add(prompt);
      requests.add(prompt.toBuilder().addMessages(Message.newBuilder().setRole("user")
          .addContent(contents.get(0))).build());
      requests.add(GenerateRequest.newBuilder().setModel(model).setSampling(twoTokens).build());
      for (int i = 0; i < requests.size(); i++) {
        calls.add(new Generate(requests.get(i), i % 2 == 1, NORMAL_DEADLINE_MILLIS, -1));
      }
      calls.add(new Residency(model, false, true));
      calls.add(new Residency(model, true, false));
      calls.add(new Residency(model, false, false));
    }
    return calls;
  }

  Call next() {
    int kind = random.nextInt(100);
    if (kind < 4) {
      return new Raw(rawBody());
    }
    if (kind < 5) {
      return new Residency(model(), random.nextBoolean(), random.nextBoolean());
    }
    GenerateRequest request = request();
    boolean stream = random.nextInt(3) == 0;
    long deadline = random.nextInt(10) == 0 ? 1 + random.nextInt(300) : NORMAL_DEADLINE_MILLIS;
    int cancelAfter = stream && random.nextInt(5) == 0 ? random.nextInt(3) : -1;
    return new Generate(request, stream, deadline, cancelAfter);
  }

  private GenerateRequest request() {
    if (random.nextBoolean()) {
      return plausible();
    }
    GenerateRequest.Builder b = GenerateRequest.newBuilder().setModel(model());
    int shape = random.nextInt(10);
    if (shape == 0) {
      // A raw prompt, with or without placeholders and images.
      b.setPrompt(text());
      for (int i = random.nextInt(3); i > 0; i--) {
        b.addImages(image());
      }
    } else if (shape == 1) {
      b.setPrompt(text()).addMessages(message()); // both: invalid
    } else if (shape != 2) {
      for (int m = 1 + random.nextInt(3); m > 0; m--) {
        b.addMessages(message());
      }
    } // shape 2: neither
    b.setSampling(sampling());
    if (random.nextInt(4) == 0) {
      b.setRequestId(random.nextBoolean() ? "dup" : random.nextInt(20) == 0 ? "r".repeat(300 + random.nextInt(3000)) : text());
    }
    if (random.nextInt(6) == 0) {
      b.setPriority(random.nextInt(3) == 0 ? random.nextInt() : random.nextInt(-150, 151));
    }
    return b.build();
  }

  /**
   * A request a careless but well-meaning client sends: valid in form, with odd but acceptable
   * images (tiny, 16-bit, animated, CMYK and YCCK, odd shapes), template-breaking or random text and sampling
   * within range, so that the engine, not only validation, meets the odd inputs.
   */
  private GenerateRequest plausible() {
    Message.Builder m = Message.newBuilder().setRole("user");
    if (random.nextInt(3) > 0) {
      byte[] data = switch (random.nextInt(6)) {
        case 0 -> HostileImages.sixteenBitPng(1 + random.nextInt(64), 1 + random.nextInt(64), random.nextBoolean());
        case 4 -> fourChannelJpeg();
        case 1 -> HostileImages.animatedGif(1 + random.nextInt(40), 1 + random.nextInt(40));
        case 2 -> HostileImages.grayPng(1 + random.nextInt(200), 1 + random.nextInt(4));
        case 3 -> goodImage;
        default -> HostileImages.grayPng(1 + random.nextInt(96), 1 + random.nextInt(96));
      };
      m.addContent(Content.newBuilder().setImage(Image.newBuilder().setData(ByteString.copyFrom(data))));
    }
    String text = text().replace("<image>", "").replace("<|image_pad|>", "").replace("<fake_token_around_image>", "");
    m.addContent(Content.newBuilder().setText(text.isEmpty() ? "What is this?" : text));
    SamplingParams.Builder s = SamplingParams.newBuilder().setMaxNewTokens(1 + random.nextInt(8))
        .setTemperature(random.nextInt(2) == 0 ? 0f : random.nextFloat() * 2)
        .setIgnoreEos(random.nextBoolean());
    if (random.nextBoolean()) {
      s.setTopP(0.05f + random.nextFloat() * 0.95f).setTopK(random.nextInt(50)).setSeed(random.nextLong())
          .setRepetitionPenalty(0.5f + random.nextFloat() * 2);
    }
    for (int i = random.nextInt(4); i > 0; i--) {
      s.addStop(TEMPLATE_BREAKERS[random.nextInt(TEMPLATE_BREAKERS.length)]);
    }
    return GenerateRequest.newBuilder().setModel(models.get(random.nextInt(models.size()))).addMessages(m)
        .setSampling(s).setRequestId(random.nextInt(4) == 0 ? "dup" : "").setPriority(random.nextInt(-100, 101))
        .build();
  }

  private String model() {
    int pick = random.nextInt(20);
    if (pick == 0) {
      return "";
    }
    if (pick == 1) {
      return "no-such-model-" + random.nextInt(100);
    }
    if (pick == 2) {
      return "m".repeat(random.nextInt(2) == 0 ? 300 : 70_000);
    }
    return models.get(random.nextInt(models.size()));
  }

  private Message message() {
    Message.Builder m = Message.newBuilder().setRole(ROLES[random.nextInt(ROLES.length)]);
    int parts = random.nextInt(4);
    for (int p = 0; p < parts; p++) {
      int kind = random.nextInt(4);
      if (kind == 0) {
        m.addContent(Content.newBuilder().setImage(image()));
      } else if (kind == 1 && random.nextInt(5) == 0) {
        m.addContent(Content.getDefaultInstance()); // neither text nor image
      } else {
        m.addContent(Content.newBuilder().setText(text()));
      }
    }
    return m.build();
  }

  private String text() {
    StringBuilder text = new StringBuilder();
    int pieces = random.nextInt(6);
    for (int i = 0; i < pieces; i++) {
      switch (random.nextInt(4)) {
        case 0 -> text.append(TEMPLATE_BREAKERS[random.nextInt(TEMPLATE_BREAKERS.length)]);
        case 1 -> {
          for (int c = random.nextInt(40); c > 0; c--) {
            int codePoint = random.nextInt(0x30000);
            if (Character.isValidCodePoint(codePoint) && !Character.isSurrogate((char) codePoint)) {
              text.appendCodePoint(codePoint);
            }
          }
        }
        case 2 -> text.append("Describe the picture in detail. ");
        default -> text.append(random.nextInt(50) == 0 ? "x".repeat(20_000) : "hi");
      }
    }
    return text.toString();
  }

  private Image image() {
    Image.Builder image = Image.newBuilder();
    int kind = random.nextInt(16);
    byte[] data = switch (kind) {
      case 0 -> randomBytes(random.nextInt(2048));
      case 1 -> Arrays.copyOf(goodImage, random.nextInt(goodImage.length));
      case 2 -> HostileImages.pngClaiming(50_000 + random.nextInt(50_000), 50_000 + random.nextInt(50_000));
      case 3 -> HostileImages.pngClaiming(1 + random.nextInt(6000), 1 + random.nextInt(6000));
      case 4 -> extremeShape();
      case 5 -> HostileImages.animatedGif(1 + random.nextInt(40), 1 + random.nextInt(40));
      case 6 -> switch (random.nextInt(3)) {
        case 0 -> HostileImages.cmykJpegHeader(1 + random.nextInt(500), 1 + random.nextInt(500));
        case 1 -> flipBits(fourChannelJpeg());
        default -> fourChannelJpeg();
      };
      case 7 -> HostileImages.sixteenBitPng(1 + random.nextInt(64), 1 + random.nextInt(64), random.nextBoolean());
      case 8 -> new byte[0];
      case 9 -> flipBits(goodImage);
      default -> HostileImages.grayPng(1 + random.nextInt(96), 1 + random.nextInt(96));
    };
    if (random.nextInt(12) == 0) {
      return image.setUri(switch (random.nextInt(4)) {
        case 0 -> "file:///etc/passwd";
        case 1 -> "data:image/png;base64,!!!not base64";
        case 2 -> "data:image/png," + "A".repeat(10);
        default -> "https://example.com/a.png";
      }).build();
    }
    return image.setData(ByteString.copyFrom(data)).build();
  }

  private byte[] fourChannelJpeg() {
    return HostileImages.FOUR_CHANNEL_JPEGS.get(random.nextInt(HostileImages.FOUR_CHANNEL_JPEGS.size()));
  }

  private byte[] extremeShape() {
    int[][] shapes = {{1, 300}, {300, 1}, {7, 3001}, {3001, 7}, {1, 5000}, {5000, 1}, {2, 1}, {1, 1},
        {random.nextInt(2) == 0 ? 1_000_000 : 10_000_000, 1}};
    int[] shape = shapes[random.nextInt(shapes.length)];
    return HostileImages.grayPng(shape[0], shape[1]);
  }

  private SamplingParams sampling() {
    SamplingParams.Builder s = SamplingParams.newBuilder();
    int tokens = random.nextInt(20);
    s.setMaxNewTokens(tokens == 0 ? random.nextInt() : tokens < 18 ? 1 + random.nextInt(6) : 0);
    float[] extremes = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -1f, 0f, 1e-30f, 1e30f, 0.7f, 1f, 2f};
    if (random.nextInt(3) == 0) {
      s.setTemperature(extremes[random.nextInt(extremes.length)]);
    } else {
      s.setTemperature(0f);
    }
    if (random.nextInt(4) == 0) {
      s.setTopP(extremes[random.nextInt(extremes.length)]);
    }
    if (random.nextInt(4) == 0) {
      s.setTopK(random.nextInt());
    }
    if (random.nextInt(4) == 0) {
      s.setSeed(random.nextLong());
    }
    if (random.nextInt(4) == 0) {
      s.setRepetitionPenalty(extremes[random.nextInt(extremes.length)]);
    }
    int stops = random.nextInt(10) == 0 ? random.nextInt(3000) : random.nextInt(4);
    for (int i = 0; i < stops; i++) {
      s.addStop(random.nextInt(30) == 0 ? "" : random.nextInt(30) == 0 ? "s".repeat(300) : TEMPLATE_BREAKERS[random.nextInt(TEMPLATE_BREAKERS.length)]);
    }
    s.setIgnoreEos(random.nextBoolean());
    return s.build();
  }

  private byte[] rawBody() {
    return switch (random.nextInt(4)) {
      case 0 -> randomBytes(random.nextInt(512));
      case 1 -> {
        byte[] valid = request().toByteArray();
        yield Arrays.copyOf(valid, valid.length == 0 ? 0 : random.nextInt(valid.length));
      }
      case 2 -> new byte[] {0x0a, 0x03, (byte) 0xc3, (byte) 0x28, 0x41}; // model: invalid UTF-8
      default -> flipBits(request().toByteArray());
    };
  }

  private byte[] flipBits(byte[] bytes) {
    byte[] copy = bytes.clone();
    for (int i = 0; i < 1 + copy.length / 200 && copy.length > 0; i++) {
      copy[random.nextInt(copy.length)] ^= (byte) (1 << random.nextInt(8));
    }
    return copy;
  }

  private byte[] randomBytes(int n) {
    byte[] bytes = new byte[n];
    for (int i = 0; i < n; i++) {
      bytes[i] = (byte) random.nextInt(256);
    }
    return bytes;
  }
}
