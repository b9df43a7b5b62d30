package dev.vlm.server.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code |tojson} spelled as Python's json.dumps spells it; expected values come from CPython 3.11. */
class PythonJsonTest {

  private static Map<String, Object> tool() {
    Map<String, Object> tool = new LinkedHashMap<>();
    tool.put("name", "zoom");
    tool.put("scale", 1.5);
    tool.put("tags", List.of("a", "é"));
    tool.put("default", null);
    return tool;
  }

  @Test
  void defaultIsOneLineWithPythonSeparatorsAndUnicodeKept() {
    assertThat(PythonJson.DEFAULT.write(tool()))
        .isEqualTo("{\"name\": \"zoom\", \"scale\": 1.5, \"tags\": [\"a\", \"é\"], \"default\": null}");
  }

  @Test
  void indentSortKeysAndEnsureAsciiFollowJsonDumps() {
    PythonJson json = PythonJson.withOptions(2, null, true, true);

    assertThat(json.write(tool()))
        .isEqualTo(
            """
            {
              "default": null,
              "name": "zoom",
              "scale": 1.5,
              "tags": [
                "a",
                "\\u00e9"
              ]
            }""");
  }

  @Test
  void customSeparatorsAndEmptyContainers() {
    PythonJson json = PythonJson.withOptions(null, List.of(",", ":"), false, false);

    assertThat(json.write(Map.of("a", List.of()))).isEqualTo("{\"a\":[]}");
    assertThat(PythonJson.withOptions(4, null, false, false).write(Map.of())).isEqualTo("{}");
  }

  @Test
  void stringsEscapeQuotesBackslashesAndControlCharacters() {
    assertThat(PythonJson.DEFAULT.write("say \"hi\"\\\n\t\u0001\u007f/")).isEqualTo("\"say \\\"hi\\\"\\\\\\n\\t\\u0001\u007f/\"");
  }

  @Test
  void floatsUsePythonsRepr() {
    assertThat(Arrays.stream(new double[] {100.0, 1e16, 1.5e-5, 0.0001, 123456789012345.6, -2.5e-10})
            .mapToObj(PythonJson::floatText))
        .containsExactly("100.0", "1e+16", "1.5e-05", "0.0001", "123456789012345.6", "-2.5e-10");
  }

  @Test
  void theFilterTakesKeywordArgumentsInATemplate() {
    ChatTemplate template =
        ChatTemplate.of("{{ tools | tojson(indent=1, sort_keys=true) }}|{{ tools | tojson }}", Map.of());
    Map<String, Object> tool = new LinkedHashMap<>();
    tool.put("b", 1);
    tool.put("a", true);

    String rendered = template.render(List.of(), false, Map.of("tools", List.of(tool)));

    assertThat(rendered).isEqualTo("[\n {\n  \"a\": true,\n  \"b\": 1\n }\n]|[{\"b\": 1, \"a\": true}]");
  }

  @Test
  void valuesJsonCannotHoldAreRefused() {
    assertThatThrownBy(() -> PythonJson.DEFAULT.write(new Object()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not JSON serializable");
  }
}
