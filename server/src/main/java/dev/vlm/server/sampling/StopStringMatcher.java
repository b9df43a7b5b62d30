package dev.vlm.server.sampling;

import java.util.List;

/**
 * Finds stop strings in streamed text, also when one spans several deltas. Text that could be the
 * start of a stop string is held back until the next delta decides; once a stop string appears,
 * the output ends right before it (the stop string itself is never emitted).
 *
 * <p>Not thread-safe: one instance per request.
 */
public final class StopStringMatcher {
  private final List<String> stopStrings;
  private final int longest;
  private String pending = "";
  private boolean stopped;

  /** What {@link #push(String)} lets through. */
  public record Result(String text, boolean stopped) {
    private static final Result STOPPED_NOTHING = new Result("", true);
  }

  /**
   * @param stopStrings the stop strings; may be empty
   * @throws IllegalArgumentException naming {@code stop} if one of them is empty
   */
  public StopStringMatcher(List<String> stopStrings) {
    this.stopStrings = List.copyOf(stopStrings);
    int max = 0;
    for (String stop : this.stopStrings) {
      if (stop.isEmpty()) {
        throw new IllegalArgumentException("stop strings must not be empty");
      }
      max = Math.max(max, stop.length());
    }
    this.longest = max;
  }

  /**
   * Adds newly generated text.
   *
   * @param delta the new text
   * @return the text safe to emit now, and whether a stop string has been reached (then the
   *     text ends right before it and later calls return nothing)
   */
  public Result push(String delta) {
    if (stopped) {
      return Result.STOPPED_NOTHING;
    }
    String text = pending.concat(delta);
    int stopAt = earliestStop(text);
    if (stopAt >= 0) {
      stopped = true;
      pending = "";
      return new Result(text.substring(0, stopAt), true);
    }
    int held = longestSuffixThatStartsAStop(text);
    pending = text.substring(text.length() - held);
    return new Result(text.substring(0, text.length() - held), false);
  }

  /**
   * Ends the stream: the text held back is no stop string after all.
   *
   * @return the held-back text (empty after a stop)
   */
  public String flush() {
    String rest = pending;
    pending = "";
    return rest;
  }

  /** Whether a stop string has been reached. */
  public boolean isStopped() {
    return stopped;
  }

  private int earliestStop(String text) {
    int earliest = -1;
    for (String stop : stopStrings) {
      int at = text.indexOf(stop);
      if (at >= 0 && (earliest < 0 || at < earliest)) {
        earliest = at;
      }
    }
    return earliest;
  }

  // Only the last (longest - 1) chars can begin a stop string that the next delta completes.
  private int longestSuffixThatStartsAStop(String text) {
    int maxLength = Math.min(text.length(), longest - 1);
    for (int length = maxLength; length > 0; length--) {
      int start = text.length() - length;
      for (String stop : stopStrings) {
        if (stop.length() > length && text.regionMatches(start, stop, 0, length)) {
          return length;
        }
      }
    }
    return 0;
  }
}
