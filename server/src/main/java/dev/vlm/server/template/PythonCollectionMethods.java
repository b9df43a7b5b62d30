package dev.vlm.server.template;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The methods of Python's {@code dict} and {@code list} that chat templates call
 * ({@code message.get('x')}, {@code tool.items()}, {@code ns.parts.append(x)}). Stateless.
 */
final class PythonCollectionMethods {

  static final Set<String> DICT_NAMES = Set.of("items", "keys", "values", "get", "copy");
  static final Set<String> LIST_NAMES =
      Set.of("append", "extend", "pop", "insert", "index", "count", "copy", "reverse");

  private PythonCollectionMethods() {}

  /**
   * Calls the Python dict method {@code name}.
   *
   * @throws IllegalArgumentException if the arguments do not fit the method
   */
  static Object invokeOnDict(Map<?, ?> self, String name, List<Object> args) {
    return switch (name) {
      // Two-element lists, so that "for key, value in d.items()" unpacks them.
      case "items" -> {
        expectArguments(name, args, 0, 0);
        List<Object> pairs = new ArrayList<>(self.size());
        self.forEach((key, value) -> pairs.add(Arrays.asList(key, value)));
        yield pairs;
      }
      case "keys" -> {
        expectArguments(name, args, 0, 0);
        yield new ArrayList<Object>(self.keySet());
      }
      case "values" -> {
        expectArguments(name, args, 0, 0);
        yield new ArrayList<Object>(self.values());
      }
      case "get" -> {
        expectArguments(name, args, 1, 2);
        Object value = self.get(args.get(0));
        yield value != null || self.containsKey(args.get(0)) ? value : args.size() > 1 ? args.get(1) : null;
      }
      case "copy" -> {
        expectArguments(name, args, 0, 0);
        yield new LinkedHashMap<Object, Object>(self);
      }
      default -> throw new IllegalArgumentException("dict has no method " + name + "()");
    };
  }

  /**
   * Calls the Python list method {@code name}; mutating methods change the list in place.
   *
   * @throws IllegalArgumentException if the arguments do not fit the method
   * @throws UnsupportedOperationException if the list cannot be changed
   */
  @SuppressWarnings("unchecked")
  static Object invokeOnList(List<?> list, String name, List<Object> args) {
    List<Object> self = (List<Object>) list;
    switch (name) {
      case "append" -> {
        expectArguments(name, args, 1, 1);
        self.add(args.get(0));
        return null;
      }
      case "extend" -> {
        expectArguments(name, args, 1, 1);
        if (!(args.get(0) instanceof Iterable<?> items)) {
          throw new IllegalArgumentException("extend() needs an iterable, got " + PythonTypes.describe(args.get(0)));
        }
        List<Object> copy = new ArrayList<>();
        items.forEach(copy::add);
        self.addAll(copy);
        return null;
      }
      case "pop" -> {
        expectArguments(name, args, 0, 1);
        if (self.isEmpty()) {
          throw new IllegalArgumentException("pop from empty list");
        }
        return self.remove(args.isEmpty() ? self.size() - 1 : position(self, args.get(0), false));
      }
      case "insert" -> {
        expectArguments(name, args, 2, 2);
        self.add(position(self, args.get(0), true), args.get(1));
        return null;
      }
      case "index" -> {
        expectArguments(name, args, 1, 1);
        int at = indexOf(self, args.get(0));
        if (at < 0) {
          throw new IllegalArgumentException(PythonTypes.repr(args.get(0)) + " is not in list");
        }
        return (long) at;
      }
      case "count" -> {
        expectArguments(name, args, 1, 1);
        return self.stream().filter(item -> PythonTypes.equal(item, args.get(0))).count();
      }
      case "copy" -> {
        expectArguments(name, args, 0, 0);
        return new ArrayList<>(self);
      }
      case "reverse" -> {
        expectArguments(name, args, 0, 0);
        Collections.reverse(self);
        return null;
      }
      default -> throw new IllegalArgumentException("list has no method " + name + "()");
    }
  }

  private static int indexOf(List<Object> self, Object wanted) {
    for (int i = 0; i < self.size(); i++) {
      if (PythonTypes.equal(self.get(i), wanted)) {
        return i;
      }
    }
    return -1;
  }

  /** Python indices may count from the end; insert clamps where pop refuses. */
  private static int position(Collection<?> self, Object index, boolean clamp) {
    if (!(index instanceof Number number)) {
      throw new IllegalArgumentException("list index must be an integer, got " + PythonTypes.describe(index));
    }
    long at = number.longValue();
    if (at < 0) {
      at += self.size();
    }
    if (clamp) {
      return (int) Math.max(0, Math.min(at, self.size()));
    }
    if (at < 0 || at >= self.size()) {
      throw new IllegalArgumentException("pop index out of range");
    }
    return (int) at;
  }

  private static void expectArguments(String name, List<Object> args, int min, int max) {
    if (args.size() < min || args.size() > max) {
      String expected = min == max ? String.valueOf(min) : min + " to " + max;
      throw new IllegalArgumentException(name + "() takes " + expected + " arguments, got " + args.size());
    }
  }
}
