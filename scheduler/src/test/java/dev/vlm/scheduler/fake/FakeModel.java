package dev.vlm.scheduler.fake;

import java.util.ArrayList;
import java.util.List;

/**
 * A deterministic stand-in for a language model: the next token is a hash of the whole
 * sequence so far, so any lost, repeated or reordered token changes every later one.
 */
public final class FakeModel {
  private final int vocabSize;
  private final int eosToken;

  /**
   * @param vocabSize tokens are drawn from {@code [0, vocabSize)}
   * @param eosToken the token that ends a sequence, or -1 for none
   */
  public FakeModel(int vocabSize, int eosToken) {
    this.vocabSize = vocabSize;
    this.eosToken = eosToken;
  }

  /** The token that follows the first {@code length} tokens of {@code sequence}. */
  public int next(int[] sequence, int length) {
    long hash = 0xcbf29ce484222325L;
    for (int i = 0; i < length; i++) {
      hash = (hash ^ sequence[i]) * 0x100000001b3L;
      hash ^= hash >>> 29;
    }
    return (int) Long.remainderUnsigned(hash, vocabSize);
  }

  /** True if {@code token} ends a sequence. */
  public boolean isEos(int token) {
    return token == eosToken;
  }

  /** What a request's output must be: greedy continuation up to EOS (included) or the limit. */
  public List<Integer> expectedOutput(int[] prompt, int maxNewTokens) {
    int[] sequence = java.util.Arrays.copyOf(prompt, prompt.length + maxNewTokens);
    int length = prompt.length;
    List<Integer> output = new ArrayList<>();
    while (output.size() < maxNewTokens) {
      int token = next(sequence, length);
      sequence[length++] = token;
      output.add(token);
      if (isEos(token)) {
        break;
      }
    }
    return output;
  }
}
