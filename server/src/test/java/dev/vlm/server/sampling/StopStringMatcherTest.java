package dev.vlm.server.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class StopStringMatcherTest {
  /** Feeds the deltas, flushes if no stop, and returns everything emitted. */
  private static String run(StopStringMatcher matcher, String... deltas) {
    StringBuilder out = new StringBuilder();
    for (String delta : deltas) {
      StopStringMatcher.Result result = matcher.push(delta);
      out.append(result.text());
      if (result.stopped()) {
        return out.toString();
      }
    }
    return out.append(matcher.flush()).toString();
  }

  @Test
  void findsAStopStringSplitAcrossDeltas() {
    StopStringMatcher matcher = new StopStringMatcher(List.of("</stop>"));
    StopStringMatcher.Result first = matcher.push("answer</st");
    assertThat(first).isEqualTo(new StopStringMatcher.Result("answer", false));
    StopStringMatcher.Result second = matcher.push("op> trailing");
    assertThat(second).isEqualTo(new StopStringMatcher.Result("", true));
    assertThat(matcher.isStopped()).isTrue();
    assertThat(matcher.push("more")).isEqualTo(new StopStringMatcher.Result("", true));
    assertThat(matcher.flush()).isEmpty();
  }

  @Test
  void releasesHeldTextOnceItCannotBeAStop() {
    StopStringMatcher matcher = new StopStringMatcher(List.of("</stop>"));
    assertThat(matcher.push("a</s").text()).isEqualTo("a");
    assertThat(matcher.push("x").text()).isEqualTo("</sx");
    assertThat(matcher.flush()).isEmpty();
  }

  @Test
  void stopsAtTheEarliestOfSeveralStopStrings() {
    StopStringMatcher matcher = new StopStringMatcher(List.of("END", "\n\n", "ND!"));
    assertThat(run(matcher, "one\n", "\ntwo END")).isEqualTo("one");
    assertThat(run(new StopStringMatcher(List.of("ND!", "END")), "xEND!")).isEqualTo("x");
  }

  @Test
  void stopsAtTheVeryStart() {
    StopStringMatcher matcher = new StopStringMatcher(List.of("STOP"));
    assertThat(matcher.push("STOP and more")).isEqualTo(new StopStringMatcher.Result("", true));
    assertThat(run(new StopStringMatcher(List.of("STOP")), "S", "T", "O", "P")).isEmpty();
  }

  @Test
  void leavesNothingBehindWhenNoStopComes() {
    StopStringMatcher matcher = new StopStringMatcher(List.of("<|end|>"));
    assertThat(run(matcher, "a <", "|en", "d")).isEqualTo("a <|end");
    assertThat(matcher.flush()).isEmpty();
    assertThat(run(new StopStringMatcher(List.of()), "plain ", "text")).isEqualTo("plain text");
  }

  @Test
  void holdsBackOnlyWhatCouldStartAStop() {
    StopStringMatcher matcher = new StopStringMatcher(List.of("abc", "xyz"));
    assertThat(matcher.push("hello a").text()).isEqualTo("hello ");
    assertThat(matcher.push("b").text()).isEmpty();
    assertThat(matcher.push("d x").text()).isEqualTo("abd ");
    assertThat(matcher.flush()).isEqualTo("x");
  }

  @Test
  void handlesAStopThatOverlapsItsOwnPrefix() {
    assertThat(run(new StopStringMatcher(List.of("aab")), "a", "a", "a", "b", "c")).isEqualTo("a");
  }

  @Test
  void rejectsAnEmptyStopString() {
    assertThatThrownBy(() -> new StopStringMatcher(List.of("ok", "")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("stop");
  }

  @Test
  void anySplitIntoDeltasGivesTheSameOutputAsOneDelta() {
    SplittableRandom random = new SplittableRandom(42);
    List<String> stops = List.of("ab", "bba", "cab");
    for (int round = 0; round < 2000; round++) {
      StringBuilder text = new StringBuilder();
      int length = random.nextInt(12);
      for (int i = 0; i < length; i++) {
        text.append("abc".charAt(random.nextInt(3)));
      }
      String whole = text.toString();
      List<String> deltas = new ArrayList<>();
      int at = 0;
      while (at < whole.length()) {
        int next = at + 1 + random.nextInt(whole.length() - at);
        deltas.add(whole.substring(at, next));
        at = next;
      }
      String expected = truncateAtFirstStop(whole, stops);
      assertThat(run(new StopStringMatcher(stops), deltas.toArray(String[]::new)))
          .as("%s split as %s", whole, deltas)
          .isEqualTo(expected);
    }
  }

  // Independent reference: scan positions left to right for the first one where a stop starts.
  private static String truncateAtFirstStop(String text, List<String> stops) {
    for (int i = 0; i < text.length(); i++) {
      for (String stop : stops) {
        if (text.startsWith(stop, i)) {
          return text.substring(0, i);
        }
      }
    }
    return text;
  }
}
