package dev.vlm.server.generation;

import dev.vlm.server.sampling.StopStringMatcher;
import dev.vlm.server.text.IncrementalDetokenizer;
import java.util.List;

/**
 * The text side of one request's output: turns tokens into text that never splits a UTF-8
 * character, and holds back text that may be the start of a stop string. Not thread-safe.
 */
final class OutputText {
  /**
   * @param text text released by this token (possibly empty)
   * @param stopped whether a stop string was reached; the text ends before it
   */
  record Delta(String text, boolean stopped) {}

  private final IncrementalDetokenizer detokenizer;
  private final StopStringMatcher stops;

  OutputText(IncrementalDetokenizer detokenizer, List<String> stopStrings) {
    this.detokenizer = detokenizer;
    this.stops = new StopStringMatcher(stopStrings);
  }

  Delta push(int token) {
    StopStringMatcher.Result result = stops.push(detokenizer.push(token));
    return new Delta(result.text(), result.stopped());
  }

  /** Releases everything held back, at the end of generation. */
  String flush() {
    StopStringMatcher.Result tail = stops.push(detokenizer.flush());
    return tail.stopped() ? tail.text() : tail.text() + stops.flush();
  }
}
