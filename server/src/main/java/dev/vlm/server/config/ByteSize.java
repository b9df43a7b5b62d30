package dev.vlm.server.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses sizes written as plain bytes or with a unit: {@code 1048576}, {@code 20MiB}, {@code 8GB}. */
public final class ByteSize {
  private static final Pattern SIZE = Pattern.compile("\\s*(\\d+(?:\\.\\d+)?)\\s*([kmgt]i?b?|b)?\\s*");

  private ByteSize() {}

  /**
   * @param text a size such as {@code 512}, {@code 64KiB}, {@code 1.5GiB}, {@code 2GB}
   * @return the size in bytes
   * @throws IllegalArgumentException if the text is not a size
   */
  public static long parse(String text) {
    Matcher m = SIZE.matcher(text.toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a size (examples: 1048576, 64KiB, 20MiB, 8GiB, 2GB)");
    }
    double value = Double.parseDouble(m.group(1));
    String unit = m.group(2) == null ? "b" : m.group(2);
    boolean binary = unit.contains("i");
    long base = binary ? 1024 : 1000;
    long multiplier =
        switch (unit.charAt(0)) {
          case 'k' -> base;
          case 'm' -> base * base;
          case 'g' -> base * base * base;
          case 't' -> base * base * base * base;
          default -> 1;
        };
    return Math.round(value * multiplier);
  }
}
