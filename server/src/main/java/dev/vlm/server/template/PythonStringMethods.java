package dev.vlm.server.template;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The methods of Python's {@code str} that chat templates call ({@code .strip()},
 * {@code .startswith()}, {@code .split()}, ...), with Python's semantics rather than Java's.
 * Stateless.
 */
final class PythonStringMethods {

  static final Set<String> NAMES =
      Set.of(
          "strip", "lstrip", "rstrip", "upper", "lower", "title", "capitalize", "swapcase",
          "startswith", "endswith", "split", "rsplit", "splitlines", "replace", "find", "rfind",
          "index", "rindex", "count", "join", "removeprefix", "removesuffix", "isdigit",
          "isalpha", "isalnum", "isspace", "islower", "isupper", "format", "casefold");

  private PythonStringMethods() {}

  /**
   * Calls the Python method {@code name} on {@code self}.
   *
   * @throws IllegalArgumentException if the arguments do not fit the method
   */
  static Object invoke(String self, String name, List<Object> args) {
    return switch (name) {
      case "strip" -> strip(self, charsArgument(args), true, true);
      case "lstrip" -> strip(self, charsArgument(args), true, false);
      case "rstrip" -> strip(self, charsArgument(args), false, true);
      case "upper" -> self.toUpperCase(Locale.ROOT);
      case "lower", "casefold" -> self.toLowerCase(Locale.ROOT);
      case "title" -> title(self);
      case "capitalize" -> capitalize(self);
      case "swapcase" -> swapcase(self);
      case "startswith" -> matchesAffix(self, args, true);
      case "endswith" -> matchesAffix(self, args, false);
      case "split" -> split(self, optionalString(args, 0), optionalInt(args, 1, -1));
      case "rsplit" -> rsplit(self, optionalString(args, 0), optionalInt(args, 1, -1));
      case "splitlines" -> new ArrayList<>(self.lines().toList());
      case "replace" -> replace(self, string(args, 0), string(args, 1), optionalInt(args, 2, -1));
      case "find" -> (long) self.indexOf(string(args, 0));
      case "rfind" -> (long) self.lastIndexOf(string(args, 0));
      case "index" -> found(self, self.indexOf(string(args, 0)), args);
      case "rindex" -> found(self, self.lastIndexOf(string(args, 0)), args);
      case "count" -> count(self, string(args, 0));
      case "join" -> join(self, args);
      case "removeprefix" -> removePrefix(self, string(args, 0));
      case "removesuffix" -> removeSuffix(self, string(args, 0));
      case "isdigit" -> !self.isEmpty() && self.codePoints().allMatch(Character::isDigit);
      case "isalpha" -> !self.isEmpty() && self.codePoints().allMatch(Character::isLetter);
      case "isalnum" -> !self.isEmpty() && self.codePoints().allMatch(Character::isLetterOrDigit);
      case "isspace" -> !self.isEmpty() && self.chars().allMatch(c -> isSpace((char) c));
      case "islower" -> hasCased(self) && self.equals(self.toLowerCase(Locale.ROOT));
      case "isupper" -> hasCased(self) && self.equals(self.toUpperCase(Locale.ROOT));
      case "format" -> PythonFormat.format(self, args);
      default -> throw new IllegalArgumentException("str has no method " + name + "()");
    };
  }

  /** Python's {@code str.isspace()} for one UTF-16 unit (all such characters are in the BMP). */
  static boolean isSpace(char c) {
    return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
  }

  static String strip(String s, String chars, boolean left, boolean right) {
    int start = 0;
    int end = s.length();
    while (left && start < end && isStripped(s.charAt(start), chars)) {
      start++;
    }
    while (right && end > start && isStripped(s.charAt(end - 1), chars)) {
      end--;
    }
    return s.substring(start, end);
  }

  private static boolean isStripped(char c, String chars) {
    return chars == null ? isSpace(c) : chars.indexOf(c) >= 0;
  }

  /** Python title-cases the first cased letter after any uncased character (even a digit). */
  static String title(String s) {
    StringBuilder out = new StringBuilder(s.length());
    boolean previousCased = false;
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      boolean cased = Character.isUpperCase(cp) || Character.isLowerCase(cp) || Character.isTitleCase(cp);
      out.appendCodePoint(cased ? (previousCased ? Character.toLowerCase(cp) : Character.toTitleCase(cp)) : cp);
      previousCased = cased;
      i += Character.charCount(cp);
    }
    return out.toString();
  }

  /** Python lower-cases everything after the first character, unlike a plain "first letter up". */
  static String capitalize(String s) {
    if (s.isEmpty()) {
      return s;
    }
    int first = s.codePointAt(0);
    int rest = Character.charCount(first);
    return new StringBuilder()
        .appendCodePoint(Character.toTitleCase(first))
        .append(s.substring(rest).toLowerCase(Locale.ROOT))
        .toString();
  }

  private static String swapcase(String s) {
    StringBuilder out = new StringBuilder(s.length());
    s.codePoints()
        .forEach(
            cp ->
                out.appendCodePoint(
                    Character.isUpperCase(cp)
                        ? Character.toLowerCase(cp)
                        : Character.isLowerCase(cp) ? Character.toUpperCase(cp) : cp));
    return out.toString();
  }

  private static boolean hasCased(String s) {
    return s.codePoints().anyMatch(cp -> Character.isUpperCase(cp) || Character.isLowerCase(cp));
  }

  /** startswith/endswith take one affix or a tuple (a list here) of them. */
  private static boolean matchesAffix(String s, List<Object> args, boolean prefix) {
    if (args.isEmpty()) {
      throw new IllegalArgumentException((prefix ? "startswith" : "endswith") + "() takes at least 1 argument");
    }
    Object affixes = args.get(0);
    if (affixes instanceof Iterable<?> many) {
      for (Object one : many) {
        if (matchesAffix(s, stringValue(one), prefix)) {
          return true;
        }
      }
      return false;
    }
    return matchesAffix(s, stringValue(affixes), prefix);
  }

  private static boolean matchesAffix(String s, String affix, boolean prefix) {
    return prefix ? s.startsWith(affix) : s.endsWith(affix);
  }

  /** Without a separator Python splits on runs of whitespace and drops empty pieces. */
  static List<Object> split(String s, String sep, int maxSplit) {
    List<Object> parts = new ArrayList<>();
    if (sep == null) {
      int i = 0;
      int n = s.length();
      while (true) {
        while (i < n && isSpace(s.charAt(i))) {
          i++;
        }
        if (i == n) {
          return parts;
        }
        if (maxSplit >= 0 && parts.size() == maxSplit) {
          parts.add(s.substring(i));
          return parts;
        }
        int start = i;
        while (i < n && !isSpace(s.charAt(i))) {
          i++;
        }
        parts.add(s.substring(start, i));
      }
    }
    requireSeparator(sep);
    int from = 0;
    while (maxSplit < 0 || parts.size() < maxSplit) {
      int at = s.indexOf(sep, from);
      if (at < 0) {
        break;
      }
      parts.add(s.substring(from, at));
      from = at + sep.length();
    }
    parts.add(s.substring(from));
    return parts;
  }

  private static List<Object> rsplit(String s, String sep, int maxSplit) {
    if (maxSplit < 0) {
      return split(s, sep, maxSplit);
    }
    List<Object> reversedParts = new ArrayList<>();
    if (sep == null) {
      int i = s.length();
      while (true) {
        while (i > 0 && isSpace(s.charAt(i - 1))) {
          i--;
        }
        if (i == 0) {
          break;
        }
        if (reversedParts.size() == maxSplit) {
          reversedParts.add(s.substring(0, i));
          break;
        }
        int end = i;
        while (i > 0 && !isSpace(s.charAt(i - 1))) {
          i--;
        }
        reversedParts.add(s.substring(i, end));
      }
    } else {
      requireSeparator(sep);
      int to = s.length();
      while (reversedParts.size() < maxSplit) {
        int at = s.lastIndexOf(sep, to - sep.length());
        if (at < 0) {
          break;
        }
        reversedParts.add(s.substring(at + sep.length(), to));
        to = at;
      }
      reversedParts.add(s.substring(0, to));
    }
    List<Object> parts = new ArrayList<>(reversedParts.size());
    for (int i = reversedParts.size() - 1; i >= 0; i--) {
      parts.add(reversedParts.get(i));
    }
    return parts;
  }

  private static void requireSeparator(String sep) {
    if (sep.isEmpty()) {
      throw new IllegalArgumentException("empty separator");
    }
  }

  static String replace(String s, String old, String replacement, int count) {
    if (old.isEmpty()) {
      return insertBetweenCharacters(s, replacement, count);
    }
    if (count < 0) {
      return s.replace(old, replacement);
    }
    StringBuilder out = new StringBuilder();
    int from = 0;
    for (int done = 0; done < count; done++) {
      int at = s.indexOf(old, from);
      if (at < 0) {
        break;
      }
      out.append(s, from, at).append(replacement);
      from = at + old.length();
    }
    return out.append(s.substring(from)).toString();
  }

  /** Python's {@code "ab".replace("", "-")} is {@code "-a-b-"}: the empty string is everywhere. */
  private static String insertBetweenCharacters(String s, String insert, int count) {
    int slots = count < 0 ? s.length() + 1 : Math.min(count, s.length() + 1);
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < slots; i++) {
      out.append(insert);
      if (i < s.length()) {
        out.append(s.charAt(i));
      }
    }
    return out.append(s.substring(Math.min(slots, s.length()))).toString();
  }

  private static long count(String s, String sub) {
    if (sub.isEmpty()) {
      return s.length() + 1L;
    }
    long n = 0;
    for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
      n++;
    }
    return n;
  }

  private static long found(String s, int at, List<Object> args) {
    if (at < 0) {
      throw new IllegalArgumentException("substring " + string(args, 0) + " not found in " + s);
    }
    return at;
  }

  private static String join(String separator, List<Object> args) {
    if (args.size() != 1 || !(args.get(0) instanceof Iterable<?> items)) {
      throw new IllegalArgumentException("join() takes one iterable argument");
    }
    List<String> texts = new ArrayList<>();
    for (Object item : items) {
      texts.add(stringValue(item));
    }
    return String.join(separator, texts);
  }

  private static String removePrefix(String s, String prefix) {
    return s.startsWith(prefix) ? s.substring(prefix.length()) : s;
  }

  private static String removeSuffix(String s, String suffix) {
    return s.endsWith(suffix) ? s.substring(0, s.length() - suffix.length()) : s;
  }

  private static String charsArgument(List<Object> args) {
    return optionalString(args, 0);
  }

  private static String string(List<Object> args, int index) {
    if (index >= args.size() || args.get(index) == null) {
      throw new IllegalArgumentException("missing string argument " + (index + 1));
    }
    return stringValue(args.get(index));
  }

  private static String optionalString(List<Object> args, int index) {
    return index < args.size() && args.get(index) != null ? stringValue(args.get(index)) : null;
  }

  private static int optionalInt(List<Object> args, int index, int fallback) {
    if (index >= args.size() || args.get(index) == null) {
      return fallback;
    }
    if (args.get(index) instanceof Number number) {
      return number.intValue();
    }
    throw new IllegalArgumentException("argument " + (index + 1) + " must be an integer, got " + args.get(index));
  }

  private static String stringValue(Object value) {
    if (value instanceof CharSequence text) {
      return text.toString();
    }
    throw new IllegalArgumentException("expected a string, got " + PythonTypes.describe(value));
  }
}
