package dev.vlm.server.text;

import java.util.Arrays;

/**
 * Turns generated token ids, one at a time, into text deltas whose concatenation (with {@link
 * #flush()}) equals {@code tokenizer.decode(allIds, skipSpecialTokens)}.
 *
 * <p>Decoding a token alone is wrong in two ways: byte-level tokens can carry part of a UTF-8
 * character (alone it decodes to U+FFFD), and decoders treat the first token specially
 * (SentencePiece drops its leading space). So each step decodes a short window of recent ids
 * twice, with and without the new token, both starting at the same id, and emits only the
 * difference. The window start moves up whenever text is emitted. Text ending in U+FFFD, or ending
 * in a byte-fallback token whose run of bytes may go on, is held back until later tokens complete
 * it.
 *
 * <p>Not thread-safe: one instance per request.
 */
public final class IncrementalDetokenizer {
  private static final char REPLACEMENT = '\uFFFD';

  private final Tokenizer tokenizer;
  private final boolean skipSpecialTokens;
  private int[] ids = new int[32];
  private int size;
  // Window [prefixOffset, readOffset) holds the ids emitted last; its text is prefixText.
  private int prefixOffset;
  private int readOffset;
  private String prefixText = "";
  private boolean inByteRun;

  /**
   * @param tokenizer the request's model tokenizer
   * @param skipSpecialTokens as in the final {@link Tokenizer#decode(int[], boolean)}
   */
  public IncrementalDetokenizer(Tokenizer tokenizer, boolean skipSpecialTokens) {
    this.tokenizer = tokenizer;
    this.skipSpecialTokens = skipSpecialTokens;
  }

  /**
   * Adds the next generated token.
   *
   * @param tokenId the token id
   * @return the text this token completes, possibly empty
   */
  public String push(int tokenId) {
    if (size == ids.length) {
      ids = Arrays.copyOf(ids, size * 2);
    }
    ids[size++] = tokenId;
    // A skipped special token is invisible to the decoder, so it neither starts nor ends a run.
    if (!(skipSpecialTokens && tokenizer.isSpecial(tokenId))) {
      inByteRun = tokenizer.isByteFallback(tokenId);
    }
    if (inByteRun) {
      // ByteFallback renders a run of byte tokens as a whole: valid UTF-8, or one U+FFFD per byte.
      return "";
    }
    String text = tokenizer.decode(ids, prefixOffset, size, skipSpecialTokens);
    if (text.length() <= prefixText.length() || text.charAt(text.length() - 1) == REPLACEMENT) {
      return "";
    }
    String delta = text.substring(prefixText.length());
    prefixOffset = readOffset;
    readOffset = size;
    prefixText = tokenizer.decode(ids, prefixOffset, readOffset, skipSpecialTokens);
    return delta;
  }

  /**
   * Ends the stream: returns the text held back so far, rendered as the full decode would render
   * it (an unfinished character as U+FFFD). Call it once, after the last {@link #push(int)}.
   *
   * @return the remaining text, possibly empty
   */
  public String flush() {
    String text = tokenizer.decode(ids, prefixOffset, size, skipSpecialTokens);
    String rest = text.length() > prefixText.length() ? text.substring(prefixText.length()) : "";
    prefixOffset = size;
    readOffset = size;
    prefixText = "";
    inByteRun = false;
    return rest;
  }
}
