package dev.vlm.server.template;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.TextStyle;
import java.util.Locale;

/** Python's {@code strftime} directives in the C locale, for the dates templates print. Stateless. */
final class Strftime {

  private Strftime() {}

  /**
   * @throws IllegalArgumentException for an unknown directive or a trailing lone {@code %}
   */
  static String format(String pattern, ZonedDateTime time) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < pattern.length(); i++) {
      char c = pattern.charAt(i);
      if (c != '%') {
        out.append(c);
        continue;
      }
      if (++i == pattern.length()) {
        throw new IllegalArgumentException("strftime format ends with a lone %");
      }
      out.append(directive(pattern.charAt(i), time));
    }
    return out.toString();
  }

  private static String directive(char code, ZonedDateTime t) {
    return switch (code) {
      case 'Y' -> String.valueOf(t.getYear());
      case 'y' -> two(t.getYear() % 100);
      case 'm' -> two(t.getMonthValue());
      case 'd' -> two(t.getDayOfMonth());
      case 'e' -> String.format(Locale.ROOT, "%2d", t.getDayOfMonth());
      case 'H' -> two(t.getHour());
      case 'I' -> two(t.getHour() % 12 == 0 ? 12 : t.getHour() % 12);
      case 'M' -> two(t.getMinute());
      case 'S' -> two(t.getSecond());
      case 'p' -> t.getHour() < 12 ? "AM" : "PM";
      case 'B' -> t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
      case 'b', 'h' -> t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
      case 'A' -> t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
      case 'a' -> t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
      case 'j' -> String.format(Locale.ROOT, "%03d", t.getDayOfYear());
      case 'w' -> String.valueOf(t.getDayOfWeek().getValue() % 7);
      case 'u' -> String.valueOf(t.getDayOfWeek().getValue());
      case 'f' -> String.format(Locale.ROOT, "%06d", t.getNano() / 1000);
      case 'z' -> t.format(DateTimeFormatter.ofPattern("xx", Locale.ROOT));
      case 'Z' -> t.getZone().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
      case 'F' -> t.getYear() + "-" + two(t.getMonthValue()) + "-" + two(t.getDayOfMonth());
      case 'T' -> two(t.getHour()) + ":" + two(t.getMinute()) + ":" + two(t.getSecond());
      case '%' -> "%";
      default -> throw new IllegalArgumentException("strftime directive %" + code + " is not supported");
    };
  }

  private static String two(int value) {
    return String.format(Locale.ROOT, "%02d", value);
  }
}
