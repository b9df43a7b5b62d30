package dev.vlm.server.template;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.List;

/**
 * The global functions transformers adds to every chat template: {@code raise_exception(msg)}
 * and {@code strftime_now(format)}. Jinjava calls functions as static methods; the clock comes
 * from the rendering interpreter's configuration so that it stays injectable.
 */
final class TemplateFunctions {

  private TemplateFunctions() {}

  /** The definitions to register with Jinjava. */
  static List<ELFunctionDefinition> definitions() {
    return List.of(
        new ELFunctionDefinition("", "raise_exception", TemplateFunctions.class, "raiseException", Object.class),
        new ELFunctionDefinition("", "strftime_now", TemplateFunctions.class, "strftimeNow", String.class));
  }

  /**
   * {@code raise_exception(message)}: the template refuses the conversation.
   *
   * @throws RaisedByTemplate always, carrying the template's message
   */
  public static Object raiseException(Object message) {
    throw new RaisedByTemplate(PythonTypes.str(message));
  }

  /**
   * {@code strftime_now(format)}: the current local time in Python's strftime format.
   *
   * @throws IllegalArgumentException for a directive Python does not have
   */
  public static String strftimeNow(String format) {
    JinjavaInterpreter interpreter = JinjavaInterpreter.getCurrent();
    long millis = interpreter.getConfig().getDateTimeProvider().getCurrentTimeMillis();
    ZonedDateTime now = Instant.ofEpochMilli(millis).atZone(interpreter.getConfig().getTimeZone());
    return Strftime.format(format, now);
  }

  /** Thrown through Jinjava so that the render can report the template's own message. */
  static final class RaisedByTemplate extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RaisedByTemplate(String message) {
      super(message, null, false, false);
    }
  }
}
