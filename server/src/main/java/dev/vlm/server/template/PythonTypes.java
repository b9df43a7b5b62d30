package dev.vlm.server.template;

import java.util.Map;

/** How Python names, prints and compares the values a template sees. Stateless. */
final class PythonTypes {

  private PythonTypes() {}

  /** Python's type name, for error messages. */
  static String describe(Object value) {
    if (value == null) {
      return "None";
    }
    if (value instanceof CharSequence) {
      return "str";
    }
    if (value instanceof Boolean) {
      return "bool";
    }
    if (value instanceof Double || value instanceof Float) {
      return "float";
    }
    if (value instanceof Number) {
      return "int";
    }
    if (value instanceof Map<?, ?>) {
      return "dict";
    }
    if (value instanceof Iterable<?>) {
      return "list";
    }
    return value.getClass().getSimpleName();
  }

  /** Python's {@code str(value)}. */
  static String str(Object value) {
    return value instanceof CharSequence text ? text.toString() : repr(value);
  }

  /** Python's {@code repr(value)} for the JSON-like values templates handle. */
  static String repr(Object value) {
    if (value == null) {
      return "None";
    }
    if (value instanceof Boolean bool) {
      return bool ? "True" : "False";
    }
    if (value instanceof CharSequence text) {
      return quote(text.toString());
    }
    if (value instanceof Map<?, ?> map) {
      StringBuilder out = new StringBuilder("{");
      map.forEach(
          (key, item) -> {
            if (out.length() > 1) {
              out.append(", ");
            }
            out.append(repr(key)).append(": ").append(repr(item));
          });
      return out.append('}').toString();
    }
    if (value instanceof Iterable<?> items) {
      StringBuilder out = new StringBuilder("[");
      for (Object item : items) {
        if (out.length() > 1) {
          out.append(", ");
        }
        out.append(repr(item));
      }
      return out.append(']').toString();
    }
    return value.toString();
  }

  /** Python's {@code ==}: numbers compare by value whatever their Java type. */
  static boolean equal(Object a, Object b) {
    if (a instanceof Number x && b instanceof Number y) {
      return x.doubleValue() == y.doubleValue();
    }
    return a == null ? b == null : a.equals(b);
  }

  // Python prefers single quotes unless the text holds one and no double quote.
  private static String quote(String text) {
    char quote = text.indexOf('\'') >= 0 && text.indexOf('"') < 0 ? '"' : '\'';
    StringBuilder out = new StringBuilder().append(quote);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c == quote) {
            out.append('\\');
          }
          out.append(c);
        }
      }
    }
    return out.append(quote).toString();
  }
}
