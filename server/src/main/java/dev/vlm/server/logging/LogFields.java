package dev.vlm.server.logging;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Named values that belong to a log line (request id, tenant, model, ...), carried as the log
 * record's parameter. The JSON log format writes them as top-level keys; the text format shows
 * only the message, which should already read well on its own. Immutable.
 *
 * @param values field names to values, in the order given
 */
public record LogFields(Map<String, Object> values) {
  /** Field names the server uses. */
  public static final String REQUEST_ID = "request_id";
  public static final String TENANT = "tenant";
  public static final String MODEL = "model";

  public LogFields {
    values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
  }

  /** Fields from alternating names and values; a null value leaves its field out. */
  public static LogFields of(Object... namesAndValues) {
    if (namesAndValues.length % 2 != 0) {
      throw new IllegalArgumentException("names and values must come in pairs");
    }
    Map<String, Object> values = new LinkedHashMap<>();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      if (namesAndValues[i + 1] != null) {
        values.put(namesAndValues[i].toString(), namesAndValues[i + 1]);
      }
    }
    return new LogFields(values);
  }

  /** Logs {@code message} at {@code level} with these fields attached. */
  public void log(Logger logger, Level level, String message) {
    if (logger.isLoggable(level)) {
      LogRecord record = new LogRecord(level, message);
      record.setLoggerName(logger.getName());
      // Otherwise the JDK would name this method as the record's source.
      record.setSourceClassName(logger.getName());
      record.setSourceMethodName(null);
      record.setParameters(new Object[] {this});
      logger.log(record);
    }
  }

  /** The fields attached to a record, or none. */
  static LogFields of(LogRecord record) {
    Object[] params = record.getParameters();
    if (params != null) {
      for (Object p : params) {
        if (p instanceof LogFields fields) {
          return fields;
        }
      }
    }
    return new LogFields(Map.of());
  }
}
