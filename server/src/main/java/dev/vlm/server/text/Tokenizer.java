package dev.vlm.server.text;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.vlm.server.errors.ModelUnavailableException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A Hugging Face {@code tokenizer.json} run by the Rust {@code tokenizers} library through DJL's
 * binding.
 *
 * <p>Encoding matches transformers.js {@code tokenizer(text)}: the tokenizer.json pipeline as is,
 * special tokens added by its post-processor, no truncation, no padding. Decoding is the
 * tokenizer.json decoder as is: {@code clean_up_tokenization_spaces} from tokenizer_config.json is
 * not applied (the VLMs served here set it to false; with it on, streamed text could not be a
 * prefix of the final text). tokenizer_config.json is not read.
 *
 * <p>Thread-safe. {@link #close()} waits for encodes and decodes in progress, then frees the
 * native tokenizer; later calls throw {@link ModelUnavailableException}. A model unloading while a
 * request is still being tokenized on a gRPC thread must not free memory the native code is
 * reading: that crashed the JVM in a soak run.
 */
public final class Tokenizer implements AutoCloseable {
  static final String TOKENIZER_FILE = "tokenizer.json";

  private final HuggingFaceTokenizer hfTokenizer;
  private final VocabularyIndex vocabulary;
  /** Read: a call into the native tokenizer; write: freeing it. */
  private final ReadWriteLock use = new ReentrantReadWriteLock();
  private boolean closed;

  private Tokenizer(HuggingFaceTokenizer nativeTokenizer, VocabularyIndex vocabulary) {
    this.hfTokenizer = nativeTokenizer;
    this.vocabulary = vocabulary;
  }

  /**
   * Loads {@code modelDir/tokenizer.json} from disk, never from the network. The first call puts
   * DJL into offline mode process-wide (system properties {@code ai.djl.offline} and {@code
   * OPT_OUT_TRACKING}); DJL extracts its bundled native library to its cache directory
   * ({@code ~/.djl.ai}, or DJL_CACHE_DIR) once.
   *
   * @param modelDir a model directory holding a tokenizer.json
   * @return the loaded tokenizer; close it when the model is unloaded
   * @throws TokenizerException if tokenizer.json is missing, unreadable or malformed
   */
  public static Tokenizer load(Path modelDir) {
    Path file = modelDir.resolve(TOKENIZER_FILE);
    byte[] json;
    try {
      json = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new TokenizerException("tokenizer file not found: " + file, e);
    } catch (IOException e) {
      throw new TokenizerException("cannot read tokenizer file " + file + ": " + e, e);
    }
    VocabularyIndex vocabulary = VocabularyIndex.parse(json, file.toString());
    DjlOffline.ensure();
    // Explicit options: without them DJL would enable truncation to 512 tokens and padding.
    Map<String, String> options =
        Map.of("addSpecialTokens", "true", "truncation", "false", "padding", "false");
    try {
      return new Tokenizer(
          HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json), options), vocabulary);
    } catch (IOException | RuntimeException e) {
      throw new TokenizerException("cannot load tokenizer " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Encodes text the way transformers.js {@code tokenizer(text)} does: with the special tokens
   * of the tokenizer's post-processor (for example a leading BOS).
   *
   * @param text the text; special-token strings in it (such as {@code <image>}) become their ids
   * @return the token ids
   */
  public int[] encode(String text) {
    return encode(text, true);
  }

  /**
   * Encodes text.
   *
   * @param text the text; special-token strings in it (such as {@code <image>}) become their ids
   * @param addSpecialTokens whether the post-processor adds its special tokens (BOS and the like)
   * @return the token ids
   */
  public int[] encode(String text, boolean addSpecialTokens) {
    String input = wellFormed(text);
    long[] ids;
    use.readLock().lock();
    try {
      requireOpen();
      ids = hfTokenizer.encode(input, addSpecialTokens, false).getIds();
    } finally {
      use.readLock().unlock();
    }
    int[] result = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      result[i] = Math.toIntExact(ids[i]);
    }
    return result;
  }

  /**
   * Decodes ids to text with the tokenizer's decoder. Ids outside the vocabulary are left out.
   *
   * @param ids the token ids
   * @param skipSpecialTokens whether special added tokens are left out
   * @return the text; byte sequences that are not valid UTF-8 show as U+FFFD
   */
  public String decode(int[] ids, boolean skipSpecialTokens) {
    return decode(ids, 0, ids.length, skipSpecialTokens);
  }

  /** Decodes {@code ids[from, to)}; see {@link #decode(int[], boolean)}. */
  String decode(int[] ids, int from, int to, boolean skipSpecialTokens) {
    Objects.checkFromToIndex(from, to, ids.length);
    long[] window = new long[to - from];
    int n = 0;
    for (int i = from; i < to; i++) {
      // Negative ids would wrap around to huge unsigned ids in the native code; drop them here.
      if (ids[i] >= 0) {
        window[n++] = ids[i];
      }
    }
    if (n == 0) {
      return "";
    }
    long[] kept = n == window.length ? window : Arrays.copyOf(window, n);
    use.readLock().lock();
    try {
      requireOpen();
      return hfTokenizer.decode(kept, skipSpecialTokens);
    } finally {
      use.readLock().unlock();
    }
  }

  /** Holds the read lock. */
  private void requireOpen() {
    if (closed) {
      throw new ModelUnavailableException("the model was unloaded while the request was being prepared; retry");
    }
  }

  /**
   * Looks a token string up in the vocabulary, added tokens included.
   *
   * @param token a token string such as {@code "<image>"}
   * @return its id, or empty if the vocabulary does not hold it
   */
  public OptionalInt tokenId(String token) {
    return vocabulary.id(token);
  }

  /**
   * @param id a token id
   * @return whether it is an added token marked special (skipped by a decode that skips them)
   */
  public boolean isSpecial(int id) {
    return vocabulary.isSpecial(id);
  }

  /** Whether the id is a SentencePiece byte-fallback token such as {@code <0xE4>}. */
  boolean isByteFallback(int id) {
    return vocabulary.isByteFallback(id);
  }

  /**
   * @return one more than the highest id of the vocabulary and the added tokens (a model's logits
   *     may be wider than this)
   */
  public int vocabSize() {
    return vocabulary.size();
  }

  /** Waits for calls in progress, then frees the native tokenizer. Idempotent. */
  @Override
  public void close() {
    use.writeLock().lock();
    try {
      if (!closed) {
        closed = true;
        hfTokenizer.close();
      }
    } finally {
      use.writeLock().unlock();
    }
  }

  // The binding hands text over as Java's modified UTF-8, where an unpaired surrogate would turn
  // into three U+FFFD; a standard UTF-8 encoder (and transformers.js) writes one.
  private static String wellFormed(String text) {
    Objects.requireNonNull(text, "text");
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isSurrogate(c)) {
        boolean paired =
            Character.isHighSurrogate(c)
                && i + 1 < text.length()
                && Character.isLowSurrogate(text.charAt(i + 1));
        if (!paired) {
          return replaceUnpairedSurrogates(text);
        }
        i++;
      }
    }
    return text;
  }

  private static String replaceUnpairedSurrogates(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        out.append(c).append(text.charAt(++i));
      } else {
        out.append(Character.isSurrogate(c) ? '\uFFFD' : c);
      }
    }
    return out.toString();
  }
}
