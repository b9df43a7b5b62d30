package dev.vlm.server.logging;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.Map;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/**
 * Formats each log record as one JSON object on one line: {@code time} (ISO-8601, UTC), {@code
 * level}, {@code logger}, {@code thread}, {@code message}, the record's {@link LogFields}
 * (request id, tenant, model, ...) as top-level keys, and {@code error} with the stack trace when
 * a throwable is attached. Newlines inside values are escaped, so a collector can split on lines.
 * Thread-safe.
 */
public final class JsonLogFormatter extends Formatter {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  public String format(LogRecord record) {
    ObjectNode line = JSON.createObjectNode();
    line.put("time", Instant.ofEpochMilli(record.getMillis()).toString());
    line.put("level", record.getLevel().getName());
    line.put("logger", record.getLoggerName());
    line.put("thread", Thread.currentThread().getName());
    line.put("message", formatMessage(record));
    for (Map.Entry<String, Object> field : LogFields.of(record).values().entrySet()) {
      line.set(field.getKey(), JSON.valueToTree(field.getValue()));
    }
    if (record.getThrown() != null) {
      StringWriter trace = new StringWriter();
      record.getThrown().printStackTrace(new PrintWriter(trace));
      line.put("error", trace.toString());
    }
    try {
      return JSON.writeValueAsString(line) + System.lineSeparator();
    } catch (JsonProcessingException e) {
      return "{\"level\":\"SEVERE\",\"message\":\"cannot format a log record: " + e.getOriginalMessage() + "\"}"
          + System.lineSeparator();
    }
  }
}
