package dev.vlm.server.template;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import jinjava.javax.el.CompositeELResolver;

/**
 * Jinjava set up to render templates written for Python's jinja2 the way transformers does:
 * jinja2's whitespace rules with {@code trim_blocks} and {@code lstrip_blocks} (see
 * {@link PreparedSource}), Python's string/dict/list methods, transformers' globals and
 * {@code |tojson}. Thread-safe: each render gets its own interpreter.
 */
final class JinjaEngine {

  /** The Jinjava options that make expressions behave as in jinja2. */
  private static final LegacyOverrides PYTHON_SEMANTICS =
      LegacyOverrides.newBuilder()
          .withIterateOverMapKeys(true)
          .withEvaluateMapKeys(true)
          .withUseNaturalOperatorPrecedence(true)
          .withUsePyishObjectMapper(true)
          .withKeepNullableLoopValues(true)
          .build();

  private final Jinjava jinjava;

  JinjaEngine(Clock clock) {
    CompositeELResolver resolver = new CompositeELResolver();
    resolver.add(new PythonMethodResolver());
    resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
    JinjavaConfig config =
        JinjavaConfig.newBuilder()
            // Whitespace control is resolved by PreparedSource, the jinja2 way.
            .withTrimBlocks(false)
            .withLstripBlocks(false)
            // A message containing "{{ ... }}" must stay text, never be evaluated.
            .withNestedInterpretationEnabled(false)
            .withLegacyOverrides(PYTHON_SEMANTICS)
            .withElResolver(resolver)
            .withDateTimeProvider(clock::millis)
            .withTimeZone(clock.getZone())
            .build();
    jinjava = new Jinjava(config);
    jinjava.registerFilter(new TojsonFilter());
    jinjava.registerTag(new GenerationTag());
    TemplateFunctions.definitions().forEach(jinjava::registerFunction);
    PythonTypeTest.all().forEach(jinjava::registerExpTest);
  }

  /**
   * Prepares a template for rendering and parses it once to report structural mistakes (an
   * unclosed block or tag, an unknown tag) before any request. Expressions are only checked when
   * rendered.
   *
   * @return the prepared text to pass to {@link #render}
   * @throws TemplateException naming {@code origin} and the first problem
   */
  String prepare(String source, String origin) {
    String prepared;
    try {
      prepared = PreparedSource.prepare(source);
    } catch (TemplateException e) {
      throw new TemplateException("chat template " + origin + " does not parse: " + e.getMessage(), e);
    }
    JinjavaInterpreter interpreter = jinjava.newInterpreter();
    // The parser reads its settings from the "current" interpreter.
    try (var current = JinjavaInterpreter.closeablePushCurrent(interpreter).get()) {
      current.value().parse(prepared);
    } catch (RuntimeException e) {
      throw new TemplateException("chat template " + origin + " does not parse: " + e.getMessage(), e);
    }
    failOnFatal(interpreter.getErrors(), origin, "does not parse");
    return prepared;
  }

  /**
   * Renders a prepared template with the given variables.
   *
   * @throws TemplateException with the template's own message for {@code raise_exception}, or
   *     naming {@code origin}, the line and the error
   */
  String render(String prepared, Map<String, Object> variables, String origin) {
    RenderResult result;
    try {
      result = jinjava.renderForResult(prepared, variables);
    } catch (RuntimeException e) {
      throw new TemplateException("chat template " + origin + " failed to render: " + e.getMessage(), e);
    }
    for (TemplateError error : result.getErrors()) {
      String raised = raisedMessage(error.getException());
      if (raised != null) {
        throw TemplateException.raisedByTemplate(raised);
      }
    }
    failOnFatal(result.getErrors(), origin, "failed to render");
    return result.getOutput();
  }

  private static String raisedMessage(Throwable error) {
    for (Throwable cause = error; cause != null; cause = cause.getCause()) {
      if (cause instanceof TemplateFunctions.RaisedByTemplate raised) {
        return raised.getMessage();
      }
    }
    return null;
  }

  private static void failOnFatal(List<TemplateError> errors, String origin, String what) {
    for (TemplateError error : errors) {
      if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
        String line = error.getLineno() > 0 ? " at line " + error.getLineno() : "";
        throw new TemplateException(
            "chat template " + origin + " " + what + line + ": " + error.getMessage(), error.getException());
      }
    }
  }
}
