package dev.vlm.client.bench;

import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Where a request's prompt text comes from: fixed text, or a number of words generated from the
 * run's seeded random generator (so the same seed sends the same prompts).
 */
public sealed interface PromptSource {
  /** Produces the prompt for one request. */
  String produce(RandomGenerator random);

  /**
   * The same text for every request.
   *
   * @param text the prompt, not blank
   */
  record Text(String text) implements PromptSource {
    /**
     * Validates the text.
     *
     * @throws BenchSpecException if the text is blank
     */
    public Text {
      Objects.requireNonNull(text, "text");
      if (text.isBlank()) {
        throw new BenchSpecException("prompt.text must not be blank");
      }
    }

    @Override
    public String produce(RandomGenerator random) {
      return text;
    }
  }

  /**
   * A prompt of {@code words} pseudo-random words. Word count stands in for prompt length;
   * the token count depends on the model's tokenizer (roughly 1.3 tokens a word for English).
   *
   * @param words how many words, at least 1
   */
  record Words(int words) implements PromptSource {
    // Plain English words, so that tokenizers see ordinary text rather than rare pieces.
    private static final String[] VOCABULARY = {
      "the", "picture", "shows", "a", "small", "red", "house", "near", "river", "under",
      "bright", "sky", "with", "two", "people", "walking", "along", "green", "field", "and",
      "old", "tree", "beside", "road", "where", "cars", "pass", "slowly", "in", "morning",
      "light", "describe", "what", "you", "see", "detail", "colour", "shape", "of", "each",
      "object", "count", "how", "many", "animals", "are", "there", "is", "it", "raining"
    };

    /**
     * Validates the count.
     *
     * @throws BenchSpecException if {@code words < 1}
     */
    public Words {
      if (words < 1) {
        throw new BenchSpecException("prompt.words must be at least 1, got " + words);
      }
    }

    @Override
    public String produce(RandomGenerator random) {
      StringBuilder prompt = new StringBuilder(words * 7);
      for (int i = 0; i < words; i++) {
        if (i > 0) {
          prompt.append(' ');
        }
        prompt.append(VOCABULARY[random.nextInt(VOCABULARY.length)]);
      }
      return prompt.toString();
    }
  }
}
