package dev.vlm.server.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Python's str methods called from templates; the expected values are what CPython 3.11 returns
 * for the same calls.
 */
class PythonStringMethodsTest {

  private static String render(String expression, String text) {
    return ChatTemplate.of("{{ " + expression + " }}", Map.of())
        .render(List.of(ChatMessage.text("user", text)), false);
  }

  private static final String TEXT = "messages[0]['content'][0]['text']";

  @Test
  void stripFamilyUsesPythonWhitespaceAndOptionalCharacters() {
    assertThat(render(TEXT + ".strip()", "\u00a0 hi \t\n")).isEqualTo("hi");
    assertThat(render(TEXT + ".lstrip()", "  hi  ")).isEqualTo("hi  ");
    assertThat(render(TEXT + ".rstrip()", "  hi  ")).isEqualTo("  hi");
    assertThat(render(TEXT + ".strip('<>')", "<<hi>>")).isEqualTo("hi");
    assertThat(render(TEXT + ".rstrip('\\n')", "hi\n\n")).isEqualTo("hi");
  }

  @Test
  void caseMethodsFollowPython() {
    assertThat(render(TEXT + ".upper()", "user")).isEqualTo("USER");
    assertThat(render(TEXT + ".lower()", "ÄB")).isEqualTo("äb");
    assertThat(render(TEXT + ".title()", "hello wORLD 1st o'neil")).isEqualTo("Hello World 1St O'Neil");
    assertThat(render(TEXT + ".capitalize()", "hELLO World")).isEqualTo("Hello world");
  }

  @Test
  void prefixAndSuffixTestsAcceptATupleOfCandidates() {
    assertThat(render("'yes' if " + TEXT + ".startswith('<think>') else 'no'", "<think>x")).isEqualTo("yes");
    assertThat(render("'yes' if " + TEXT + ".startswith(('a', '<t')) else 'no'", "<think>x")).isEqualTo("yes");
    assertThat(render("'yes' if " + TEXT + ".endswith(('a', 'b')) else 'no'", "xyz")).isEqualTo("no");
  }

  @Test
  void splitWithoutSeparatorDropsEmptyPiecesAndHonoursMaxsplit() {
    assertThat(render(TEXT + ".split() | join('|')", "  a  b\tc \n")).isEqualTo("a|b|c");
    assertThat(render(TEXT + ".split(None, 1) | join('|')", " a  b c ")).isEqualTo("a|b c ");
    assertThat(render(TEXT + ".split(',') | join('|')", ",a,,b")).isEqualTo("|a||b");
    assertThat(render(TEXT + ".split('</think>')[-1].lstrip('\\n')", "reasoning</think>\n\nanswer"))
        .isEqualTo("answer");
    assertThat(render(TEXT + ".rsplit(',', 1) | join('|')", "a,b,c")).isEqualTo("a,b|c");
  }

  @Test
  void replaceFindCountJoinAndFormat() {
    assertThat(render(TEXT + ".replace('a', 'o')", "banana")).isEqualTo("bonono");
    assertThat(render(TEXT + ".replace('a', 'o', 2)", "banana")).isEqualTo("bonona");
    assertThat(render(TEXT + ".replace('', '-')", "ab")).isEqualTo("-a-b-");
    assertThat(render(TEXT + ".find('n')", "banana")).isEqualTo("2");
    assertThat(render(TEXT + ".count('an')", "banana")).isEqualTo("2");
    assertThat(render("', '.join(" + TEXT + ".split())", "a b c")).isEqualTo("a, b, c");
    assertThat(render("'{} has {{braces}} and {}'.format(" + TEXT + ", 2)", "x")).isEqualTo("x has {braces} and 2");
    assertThat(render("'{1}{0}{1}'.format(" + TEXT + ", '-')", "x")).isEqualTo("-x-");
  }

  @Test
  void slicesIncludingSteps() {
    assertThat(render(TEXT + "[::-1]", "abc")).isEqualTo("cba");
    assertThat(render(TEXT + "[1:5:2]", "abcdef")).isEqualTo("bd");
    assertThat(render(TEXT + "[-2:]", "abcdef")).isEqualTo("ef");
    assertThat(render(TEXT + "[:-1]", "abcdef")).isEqualTo("abcde");
  }

  @Test
  void aBadArgumentIsATemplateErrorNamingTheMethod() {
    assertThatThrownBy(() -> render(TEXT + ".split('')", "abc"))
        .isInstanceOf(TemplateException.class)
        .hasMessageContaining("split")
        .hasMessageContaining("empty separator");
  }
}
