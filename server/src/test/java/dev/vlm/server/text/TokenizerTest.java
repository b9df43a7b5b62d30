package dev.vlm.server.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vlm.server.errors.ModelUnavailableException;
import java.io.IOException;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

class TokenizerTest {
  static final List<String> TOKENIZERS = Fixtures.TOKENIZERS;

  @ParameterizedTest
  @FieldSource("TOKENIZERS")
  void encodesLikeTransformersJs(String name) {
    try (Tokenizer tokenizer = Fixtures.load(name)) {
      for (Fixtures.Expected entry : Fixtures.expected(name)) {
        assertThat(tokenizer.encode(entry.text()))
            .as("%s encode(%s)", name, entry.text())
            .containsExactly(entry.ids());
        assertThat(tokenizer.encode(entry.text(), false))
            .as("%s encode(%s, false)", name, entry.text())
            .containsExactly(entry.idsWithoutSpecialTokens());
      }
    }
  }

  @ParameterizedTest
  @FieldSource("TOKENIZERS")
  void decodesLikeTransformersJs(String name) {
    try (Tokenizer tokenizer = Fixtures.load(name)) {
      for (Fixtures.Expected entry : Fixtures.expected(name)) {
        assertThat(tokenizer.decode(entry.ids(), false))
            .as("%s decode(%s)", name, entry.text())
            .isEqualTo(entry.decoded());
        assertThat(tokenizer.decode(entry.ids(), true))
            .as("%s decode(%s, skip)", name, entry.text())
            .isEqualTo(entry.decodedSkippingSpecial());
      }
    }
  }

  @Test
  void looksUpTokensAndSpecialFlags() {
    try (Tokenizer tokenizer = Fixtures.load("bytelevel")) {
      int image = tokenizer.tokenId("<image>").orElseThrow();
      assertThat(tokenizer.isSpecial(image)).isTrue();
      assertThat(tokenizer.encode("<image>", false)).containsExactly(image);
      int hello = tokenizer.tokenId("Hello").orElseThrow();
      assertThat(tokenizer.isSpecial(hello)).isFalse();
      assertThat(tokenizer.encode("Hello", false)).containsExactly(hello);
      assertThat(tokenizer.tokenId("no such token")).isEmpty();
      assertThat(tokenizer.vocabSize()).isEqualTo(image + 1);
      assertThat(tokenizer.isSpecial(-1)).isFalse();
      assertThat(tokenizer.isSpecial(tokenizer.vocabSize())).isFalse();
    }
  }

  @Test
  void knowsByteFallbackTokensOnlyWhenTheModelUsesThem() {
    try (Tokenizer llama = Fixtures.load("llama");
        Tokenizer byteLevel = Fixtures.load("bytelevel")) {
      assertThat(llama.isByteFallback(llama.tokenId("<0xE4>").orElseThrow())).isTrue();
      assertThat(llama.isByteFallback(llama.tokenId("H").orElseThrow())).isFalse();
      assertThat(byteLevel.isByteFallback(byteLevel.tokenId("H").orElseThrow())).isFalse();
    }
  }

  @Test
  void neverTruncatesLongText() {
    try (Tokenizer tokenizer = Fixtures.load("bytelevel")) {
      String text = "Hello world ".repeat(600);
      int[] ids = tokenizer.encode(text, false);
      assertThat(ids).hasSize(3 * 600); // "Hello", " world", " "
      assertThat(tokenizer.decode(ids, false)).isEqualTo(text);
    }
  }

  @Test
  void dropsIdsOutsideTheVocabularyWhenDecoding() {
    try (Tokenizer tokenizer = Fixtures.load("bytelevel")) {
      int hello = tokenizer.tokenId("Hello").orElseThrow();
      assertThat(tokenizer.decode(new int[] {-5, hello, 1 << 30}, false)).isEqualTo("Hello");
      assertThat(tokenizer.decode(new int[0], false)).isEmpty();
    }
  }

  @Test
  void encodesTextWithUnpairedSurrogatesAsReplacementCharacters() {
    try (Tokenizer tokenizer = Fixtures.load("bytelevel")) {
      assertThat(tokenizer.encode("a\uD800b", false))
          .containsExactly(tokenizer.encode("a\uFFFDb", false));
      assertThat(tokenizer.encode("x\uDC00", false))
          .containsExactly(tokenizer.encode("x\uFFFD", false));
    }
  }

  @Test
  void namesTheMissingFile(@TempDir Path dir) {
    assertThatThrownBy(() -> Tokenizer.load(dir))
        .isInstanceOf(TokenizerException.class)
        .hasMessageContaining(dir.resolve("tokenizer.json").toString());
  }

  @Test
  void namesTheMalformedFile(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": ");
    assertThatThrownBy(() -> Tokenizer.load(dir))
        .isInstanceOf(TokenizerException.class)
        .hasMessageContaining(dir.resolve("tokenizer.json").toString());
  }

  @Test
  void rejectsAFileTheNativeLibraryCannotBuild(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"type\": \"Nope\", \"vocab\": {}}}");
    assertThatThrownBy(() -> Tokenizer.load(dir))
        .isInstanceOf(TokenizerException.class)
        .hasMessageContaining(dir.resolve("tokenizer.json").toString());
  }

  @Test
  void neverOpensANetworkConnection() {
    ProxySelector original = ProxySelector.getDefault();
    List<URI> requested = new CopyOnWriteArrayList<>();
    ProxySelector.setDefault(
        new ProxySelector() {
          @Override
          public List<Proxy> select(URI uri) {
            requested.add(uri);
            return List.of(Proxy.NO_PROXY);
          }

          @Override
          public void connectFailed(URI uri, SocketAddress address, IOException e) {}
        });
    try (Tokenizer tokenizer = Fixtures.load("llama")) {
      tokenizer.decode(tokenizer.encode("Hello world"), true);
    } finally {
      ProxySelector.setDefault(original);
    }
    assertThat(requested).isEmpty();
    // Telemetry runs at most once a day per JVM, so also check the switch that turns it off.
    assertThat(ai.djl.util.Utils.isOfflineMode()).isTrue();
  }

  @Test
  void refusesUseAfterClose() {
    Tokenizer tokenizer = Fixtures.load("bytelevel");
    tokenizer.close();
    tokenizer.close();
    assertThatThrownBy(() -> tokenizer.encode("x")).isInstanceOf(ModelUnavailableException.class);
    assertThatThrownBy(() -> tokenizer.decode(new int[] {1}, false)).isInstanceOf(ModelUnavailableException.class);
  }
}
