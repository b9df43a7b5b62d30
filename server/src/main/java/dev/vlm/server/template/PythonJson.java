package dev.vlm.server.template;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes values the way Python's {@code json.dumps} does, because transformers renders
 * {@code |tojson} with it and the model was trained on exactly that spelling: {@code ", "} and
 * {@code ": "} separators, non-ASCII kept unless asked, Python's float format. Immutable.
 *
 * @param indent spaces (or the literal text) before each nested item; null writes one line
 * @param itemSeparator between items; Python uses ", " on one line and "," when indenting
 * @param keySeparator between a key and its value
 * @param sortKeys whether dict keys are written in sorted order
 * @param ensureAscii whether non-ASCII characters are escaped as {@code \\uXXXX}
 */
record PythonJson(String indent, String itemSeparator, String keySeparator, boolean sortKeys, boolean ensureAscii) {

  /** {@code json.dumps(value, ensure_ascii=False)}, as transformers' default tojson. */
  static final PythonJson DEFAULT = new PythonJson(null, ", ", ": ", false, false);

  /**
   * The options of transformers' tojson filter.
   *
   * @param indent null, a number of spaces, or the indent text itself
   * @param separators null or a two-element list (item separator, key separator)
   * @throws IllegalArgumentException for options of the wrong type
   */
  static PythonJson withOptions(Object indent, Object separators, boolean sortKeys, boolean ensureAscii) {
    String indentText =
        switch (indent) {
          case null -> null;
          case Number spaces -> " ".repeat(Math.max(0, spaces.intValue()));
          case CharSequence text -> text.toString();
          default -> throw new IllegalArgumentException("tojson indent must be a number or a string");
        };
    String itemSeparator = indentText == null ? ", " : ",";
    String keySeparator = ": ";
    if (separators != null) {
      List<Object> pair = new ArrayList<>();
      if (separators instanceof Iterable<?> items) {
        items.forEach(pair::add);
      }
      if (pair.size() != 2 || !(pair.get(0) instanceof CharSequence) || !(pair.get(1) instanceof CharSequence)) {
        throw new IllegalArgumentException("tojson separators must be two strings");
      }
      itemSeparator = pair.get(0).toString();
      keySeparator = pair.get(1).toString();
    }
    return new PythonJson(indentText, itemSeparator, keySeparator, sortKeys, ensureAscii);
  }

  /**
   * @throws IllegalArgumentException for a value JSON cannot hold
   */
  String write(Object value) {
    StringBuilder out = new StringBuilder();
    write(value, 0, out);
    return out.toString();
  }

  private void write(Object value, int depth, StringBuilder out) {
    switch (value) {
      case null -> out.append("null");
      case Boolean bool -> out.append(bool ? "true" : "false");
      case Double number -> out.append(floatText(number));
      case Float number -> out.append(floatText(number.doubleValue()));
      case Number number -> out.append(number);
      case CharSequence text -> writeString(text.toString(), out);
      case Map<?, ?> map -> writeDict(map, depth, out);
      case Iterable<?> items -> writeList(items, depth, out);
      case Object[] items -> writeList(List.of(items), depth, out);
      default -> throw new IllegalArgumentException("Object of type " + PythonTypes.describe(value) + " is not JSON serializable");
    }
  }

  private void writeList(Iterable<?> items, int depth, StringBuilder out) {
    out.append('[');
    boolean first = true;
    for (Object item : items) {
      if (!first) {
        out.append(itemSeparator);
      }
      newline(depth + 1, out);
      write(item, depth + 1, out);
      first = false;
    }
    if (!first) {
      newline(depth, out);
    }
    out.append(']');
  }

  private void writeDict(Map<?, ?> map, int depth, StringBuilder out) {
    List<Map.Entry<?, ?>> entries = new ArrayList<>(map.entrySet());
    if (sortKeys) {
      entries.sort((a, b) -> keyText(a.getKey()).compareTo(keyText(b.getKey())));
    }
    out.append('{');
    boolean first = true;
    for (Map.Entry<?, ?> entry : entries) {
      if (!first) {
        out.append(itemSeparator);
      }
      newline(depth + 1, out);
      writeString(keyText(entry.getKey()), out);
      out.append(keySeparator);
      write(entry.getValue(), depth + 1, out);
      first = false;
    }
    if (!first) {
      newline(depth, out);
    }
    out.append('}');
  }

  private void newline(int depth, StringBuilder out) {
    if (indent != null) {
      out.append('\n').append(indent.repeat(depth));
    }
  }

  /** Python turns non-string keys into their JSON spelling: 1 -> "1", True -> "true". */
  private String keyText(Object key) {
    return key instanceof CharSequence text ? text.toString() : DEFAULT.write(key);
  }

  private void writeString(String text, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20 || (ensureAscii && c > 0x7e)) {
            out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  /** Python's float repr: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
  static String floatText(double value) {
    if (Double.isNaN(value)) {
      return "NaN";
    }
    if (Double.isInfinite(value)) {
      return value > 0 ? "Infinity" : "-Infinity";
    }
    if (value == 0) {
      return (1 / value < 0) ? "-0.0" : "0.0";
    }
    BigDecimal shortest = new BigDecimal(Double.toString(value)).stripTrailingZeros();
    int exponent = shortest.precision() - shortest.scale() - 1;
    if (exponent < -4 || exponent >= 16) {
      String digits = shortest.unscaledValue().abs().toString();
      String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
      String sign = value < 0 ? "-" : "";
      return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format(Locale.ROOT, "%02d", Math.abs(exponent));
    }
    String plain = shortest.toPlainString();
    return plain.contains(".") ? plain : plain + ".0";
  }
}
