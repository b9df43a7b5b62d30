package dev.vlm.server.logging;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.logging.StreamHandler;
import org.junit.jupiter.api.Test;

/** {@code --log-format json}: each record is one JSON object on one line, with its fields. */
class JsonLogFormatterTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The lines {@code logging} writes through a JSON-formatted handler. */
  private static String[] lines(String loggerName, Consumer<Logger> logging) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Logger logger = Logger.getLogger(loggerName);
    logger.setUseParentHandlers(false);
    StreamHandler handler = new StreamHandler(out, new JsonLogFormatter());
    logger.addHandler(handler);
    try {
      logging.accept(logger);
    } finally {
      handler.flush();
      logger.removeHandler(handler);
    }
    return out.toString(StandardCharsets.UTF_8).split(System.lineSeparator());
  }

  @Test
  void requestFieldsBecomeTopLevelKeys() throws Exception {
    String[] lines = lines("test.json.fields", logger -> LogFields.of(
            LogFields.REQUEST_ID, "r-1", LogFields.TENANT, "acme", LogFields.MODEL, "m", "status", 200, "absent", null)
        .log(logger, Level.INFO, "done\nover two lines"));

    assertThat(lines).hasSize(1);
    JsonNode line = JSON.readTree(lines[0]);
    assertThat(line.get("message").asText()).isEqualTo("done\nover two lines");
    assertThat(line.get("level").asText()).isEqualTo("INFO");
    assertThat(line.get("logger").asText()).isEqualTo("test.json.fields");
    assertThat(line.get("request_id").asText()).isEqualTo("r-1");
    assertThat(line.get("tenant").asText()).isEqualTo("acme");
    assertThat(line.get("model").asText()).isEqualTo("m");
    assertThat(line.get("status").asInt()).isEqualTo(200);
    assertThat(line.has("absent")).isFalse();
    assertThat(line.get("time").asText()).endsWith("Z");
  }

  @Test
  void plainRecordsAndThrowablesAreOneLineEach() throws Exception {
    String[] lines = lines("test.json.plain", logger -> {
      logger.info("started");
      logger.log(Level.SEVERE, "failed", new IllegalStateException("boom"));
    });

    assertThat(lines).hasSize(2);
    JsonNode failed = JSON.readTree(lines[1]);
    assertThat(failed.get("level").asText()).isEqualTo("SEVERE");
    assertThat(failed.get("error").asText()).contains("IllegalStateException: boom");
    assertThat(JSON.readTree(lines[0]).has("request_id")).isFalse();
  }
}
