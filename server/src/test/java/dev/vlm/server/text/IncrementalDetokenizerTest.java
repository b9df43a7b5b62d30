package dev.vlm.server.text;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

class IncrementalDetokenizerTest {
  static final List<String> TOKENIZERS = Fixtures.TOKENIZERS;
  private static final List<Tokenizer> loaded = new ArrayList<>();

  @BeforeAll
  static void load() {
    for (String name : TOKENIZERS) {
      loaded.add(Fixtures.load(name));
    }
  }

  @AfterAll
  static void close() {
    loaded.forEach(Tokenizer::close);
  }

  private static Tokenizer tokenizer(String name) {
    return loaded.get(TOKENIZERS.indexOf(name));
  }

  /** Pushes ids one by one and returns the deltas, the flushed rest last. */
  private static List<String> stream(Tokenizer tokenizer, int[] ids, boolean skipSpecialTokens) {
    IncrementalDetokenizer detokenizer = new IncrementalDetokenizer(tokenizer, skipSpecialTokens);
    List<String> deltas = new ArrayList<>();
    for (int id : ids) {
      deltas.add(detokenizer.push(id));
    }
    deltas.add(detokenizer.flush());
    return deltas;
  }

  private static void assertStreamsLikeFullDecode(Tokenizer tokenizer, int[] ids, boolean skip) {
    String streamed = String.join("", stream(tokenizer, ids, skip));
    assertThat(streamed)
        .as("ids %s, skipSpecialTokens=%s", java.util.Arrays.toString(ids), skip)
        .isEqualTo(tokenizer.decode(ids, skip));
  }

  @ParameterizedTest
  @FieldSource("TOKENIZERS")
  void streamsTheReferenceTextsExactly(String name) {
    Tokenizer tokenizer = tokenizer(name);
    for (Fixtures.Expected entry : Fixtures.expected(name)) {
      assertStreamsLikeFullDecode(tokenizer, entry.ids(), false);
      assertStreamsLikeFullDecode(tokenizer, entry.ids(), true);
    }
  }

  @ParameterizedTest
  @FieldSource("TOKENIZERS")
  void streamsRandomIdSequencesLikeTheFullDecode(String name) {
    Tokenizer tokenizer = tokenizer(name);
    SplittableRandom random = new SplittableRandom(20240611L + name.hashCode());
    for (int sequence = 0; sequence < 300; sequence++) {
      int[] ids = new int[1 + random.nextInt(40)];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = random.nextInt(tokenizer.vocabSize());
      }
      assertStreamsLikeFullDecode(tokenizer, ids, false);
      assertStreamsLikeFullDecode(tokenizer, ids, true);
    }
  }

  @ParameterizedTest
  @FieldSource("TOKENIZERS")
  void neverEmitsHalfACharacter(String name) {
    Tokenizer tokenizer = tokenizer(name);
    String text = "中文 😀 emoji café 中";
    int[] ids = tokenizer.encode(text, false);
    List<String> deltas = stream(tokenizer, ids, true);
    assertThat(String.join("", deltas)).isEqualTo(text.stripLeading());
    assertThat(deltas).noneMatch(delta -> delta.contains("\uFFFD"));
    assertThat(deltas).allMatch(IncrementalDetokenizerTest::wellFormedUtf16);
  }

  @Test
  void holdsBackAByteLevelTokenThatEndsInsideACharacter() {
    Tokenizer tokenizer = tokenizer("bytelevel");
    int[] ids = tokenizer.encode("😀!", false);
    // 😀 is four bytes, encoded by the fixture as two tokens of two bytes each.
    assertThat(ids).hasSize(3);
    assertThat(stream(tokenizer, ids, false)).containsExactly("", "😀", "!", "");
  }

  @Test
  void holdsBackByteFallbackRunsUntilTheyEnd() {
    Tokenizer tokenizer = tokenizer("llama");
    int[] ids = tokenizer.encode("文a", false);
    // ▁, then 文 as three byte-fallback tokens, then a.
    assertThat(ids).hasSize(5);
    assertThat(stream(tokenizer, ids, false)).containsExactly("", "", "", "", "文a", "");
  }

  @Test
  void treatsASkippedSpecialTokenInsideAByteRunAsAbsent() {
    Tokenizer tokenizer = tokenizer("llama");
    int[] word = tokenizer.encode("文", false);
    int eos = tokenizer.tokenId("</s>").orElseThrow();
    int a = tokenizer.tokenId("a").orElseThrow();
    // Without </s> the bytes form one run: 文 followed by a lone lead byte, all four invalid.
    int[] ids = {word[1], word[2], word[3], eos, word[1], a};
    assertThat(tokenizer.decode(ids, true)).isEqualTo("\uFFFD\uFFFD\uFFFD\uFFFDa");
    assertStreamsLikeFullDecode(tokenizer, ids, true);
    assertStreamsLikeFullDecode(tokenizer, ids, false);
  }

  @Test
  void rendersADanglingPartialCharacterOnFlushLikeTheFullDecode() {
    Tokenizer tokenizer = tokenizer("bytelevel");
    int[] ids = tokenizer.encode("a😀", false);
    int[] truncated = java.util.Arrays.copyOf(ids, ids.length - 1);
    List<String> deltas = stream(tokenizer, truncated, false);
    assertThat(deltas).containsExactly("a", "", "\uFFFD");
    assertThat(String.join("", deltas)).isEqualTo(tokenizer.decode(truncated, false));
  }

  @ParameterizedTest
  @FieldSource("TOKENIZERS")
  void keepsTheSpaceBetweenWordsThatADecodeOfOneTokenDrops(String name) {
    Tokenizer tokenizer = tokenizer(name);
    int[] ids = tokenizer.encode("Hello world", false);
    assertThat(ids).hasSize(2);
    assertThat(tokenizer.decode(new int[] {ids[1]}, false)).isIn("world", " world");
    assertThat(stream(tokenizer, ids, false)).containsExactly("Hello", " world", "");
  }

  @Test
  void skipsSpecialTokensLikeTheFinalDecode() {
    Tokenizer tokenizer = tokenizer("llama");
    int[] ids = tokenizer.encode("Hello world</s>", true);
    assertThat(String.join("", stream(tokenizer, ids, true))).isEqualTo("Hello world");
    assertThat(String.join("", stream(tokenizer, ids, false))).isEqualTo("<s> Hello world</s>");
  }

  private static boolean wellFormedUtf16(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
          return false;
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }
}
