package dev.vlm.server.model.described;

import dev.vlm.server.image.RgbImage;
import dev.vlm.server.model.FamilyModel;
import dev.vlm.server.model.PreparedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * One loaded model of a described family: the processor kind's frames, each {@code
 * tokensPerFrame} image tokens, laid out by the description's templates. Immutable and
 * thread-safe.
 *
 * @param imagePlaceholder the image token's text
 * @param maxImagesPerRequest most images per request
 * @param processor the image processor kind, configured
 * @param tokensPerFrame image tokens of every frame
 * @param layout the text around the token runs
 * @param rewrites rewrites of the joined prompt
 * @param frontTokenId the image token's id when image tokens move in front of the text, else empty
 */
record DescribedModel(
    String imagePlaceholder, int maxImagesPerRequest, FrameProcessor processor, int tokensPerFrame,
    ImageLayout layout, List<PromptRewrite> rewrites, OptionalInt frontTokenId) implements FamilyModel {
  /**
   * Checks what the description's text can do to the image tokens, on a sample prompt: the
   * layout's own text must not hold the placeholder, and the rewrites must keep every run of
   * image tokens as it is (the prompt's image spans are found by those runs).
   *
   * @throws IllegalArgumentException naming the field that breaks the runs
   */
  DescribedModel {
    rewrites = List.copyOf(rewrites);
    String run = imagePlaceholder.repeat(2);
    String whole = layout.text(0, 0, run);
    String tiled = layout.text(1, 2, run);
    if (count(whole, imagePlaceholder) != 2 || count(tiled, imagePlaceholder) != 6) {
      throw new IllegalArgumentException(
          "field 'layout': its text holds the image placeholder '" + imagePlaceholder + "' outside {tokens}");
    }
    String sample = "A " + whole + whole + "B" + tiled + "\n" + whole + " C";
    String rewritten = sample;
    for (int i = 0; i < rewrites.size(); i++) {
      rewritten = rewrites.get(i).apply(rewritten);
      if (!runs(rewritten, imagePlaceholder).equals(runs(sample, imagePlaceholder))) {
        throw new IllegalArgumentException("field 'prompt_rewrites[" + i + "]' changes the runs of image placeholders '"
            + imagePlaceholder + "'; a rewrite may change only the text around them");
      }
    }
  }

  private static int count(String text, String token) {
    return runs(text, token).stream().mapToInt(Integer::intValue).sum();
  }

  /** The lengths of the maximal runs of {@code token} in {@code text}, in order. */
  private static List<Integer> runs(String text, String token) {
    List<Integer> out = new ArrayList<>();
    int at = text.indexOf(token);
    while (at >= 0) {
      int length = 0;
      while (text.startsWith(token, at)) {
        length++;
        at += token.length();
      }
      out.add(length);
      at = text.indexOf(token, at);
    }
    return out;
  }

  @Override
  public PreparedImage prepare(RgbImage image) {
    ImageFrames frames = processor.process(image);
    String text = layout.text(frames.rows(), frames.cols(), imagePlaceholder.repeat(tokensPerFrame));
    return new PreparedImage(text, frames.frames(), tokensPerFrame);
  }

  @Override
  public String finishPrompt(String expanded) {
    String text = expanded;
    for (PromptRewrite rewrite : rewrites) {
      text = rewrite.apply(text);
    }
    return text;
  }

  /** With {@code image_tokens_first}: every image token first, then the rest (BOS and text) in order. */
  @Override
  public int[] finishIds(int[] ids) {
    if (frontTokenId.isEmpty()) {
      return ids;
    }
    int imageToken = frontTokenId.getAsInt();
    int[] out = new int[ids.length];
    int at = 0;
    for (int id : ids) {
      if (id == imageToken) {
        out[at++] = id;
      }
    }
    for (int id : ids) {
      if (id != imageToken) {
        out[at++] = id;
      }
    }
    return out;
  }
}
