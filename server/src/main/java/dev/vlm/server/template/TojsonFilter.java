package dev.vlm.server.template;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import java.util.Map;

/**
 * {@code |tojson} as transformers defines it (Python's {@code json.dumps} with
 * {@code ensure_ascii=False}, optional {@code indent}, {@code separators}, {@code sort_keys},
 * {@code ensure_ascii}), replacing Jinjava's compact variant. Stateless.
 */
final class TojsonFilter implements Filter {

  @Override
  public String getName() {
    return "tojson";
  }

  @Override
  public Object filter(Object value, JinjavaInterpreter interpreter, String... args) {
    return filter(value, interpreter, args, Map.of());
  }

  @Override
  public Object filter(Object value, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
    Object indent = kwargs.getOrDefault("indent", args.length > 0 ? args[0] : null);
    PythonJson json =
        PythonJson.withOptions(
            indent,
            kwargs.get("separators"),
            truthy(kwargs.get("sort_keys")),
            truthy(kwargs.get("ensure_ascii")));
    return json.write(value);
  }

  private static boolean truthy(Object flag) {
    return flag instanceof Boolean bool && bool;
  }
}
