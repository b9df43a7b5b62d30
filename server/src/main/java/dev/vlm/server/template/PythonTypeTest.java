package dev.vlm.server.template;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * {@code is sequence} and {@code is iterable} with jinja2's meaning, where strings and dicts
 * count too (Jinjava says no for both). Immutable.
 */
final class PythonTypeTest implements ExpTest {

  private final String name;
  private final Predicate<Object> test;

  private PythonTypeTest(String name, Predicate<Object> test) {
    this.name = name;
    this.test = test;
  }

  /** The tests that replace Jinjava's. */
  static List<ExpTest> all() {
    Predicate<Object> container = v -> v instanceof CharSequence || v instanceof Map<?, ?> || v instanceof Iterable<?>;
    return List.of(new PythonTypeTest("sequence", container), new PythonTypeTest("iterable", container));
  }

  @Override
  public String getName() {
    return name;
  }

  @Override
  public boolean evaluate(Object value, JinjavaInterpreter interpreter, Object... args) {
    return test.test(value);
  }
}
