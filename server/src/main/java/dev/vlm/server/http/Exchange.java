package dev.vlm.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vlm.server.logging.LogFields;
import io.vertx.core.Context;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * One HTTP request and its response, with the Vert.x context they belong to. Every response
 * operation runs on that context's event loop ({@link #run}), so gRPC callbacks on other threads
 * never touch the response directly. Writes the access log line when the response ends.
 * Not thread-safe except {@link #run}.
 */
final class Exchange {
  private static final Logger log = Logger.getLogger(Exchange.class.getName());
  static final ObjectMapper JSON = new ObjectMapper();
  // A caller's x-request-id is echoed and logged, so it is kept short and printable.
  private static final Pattern REQUEST_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

  private final Context context;
  private final HttpServerRequest request;
  private final HttpServerResponse response;
  private final String requestId;
  private final long startNanos = System.nanoTime();
  private String model;
  private boolean clientGone;

  /** Takes the request's {@code x-request-id} when it is a usable id, else makes one. */
  Exchange(Context context, HttpServerRequest request) {
    this.context = context;
    this.request = request;
    this.response = request.response();
    this.requestId = requestId(request);
    response.putHeader("x-request-id", requestId);
    response.closeHandler(v -> clientGone = true);
    response.bodyEndHandler(v -> logAccess());
  }

  private static String requestId(HttpServerRequest request) {
    String sent = request.getHeader("x-request-id");
    if (sent != null && REQUEST_ID.matcher(sent).matches()) {
      return sent;
    }
    byte[] random = new byte[12];
    ThreadLocalRandom.current().nextBytes(random);
    return HexFormat.of().formatHex(random);
  }

  String requestId() {
    return requestId;
  }

  HttpServerResponse response() {
    return response;
  }

  /** Names the model in the access log. */
  void model(String name) {
    this.model = name;
  }

  /** Runs {@code action} on the request's event loop, from any thread. */
  void run(Runnable action) {
    context.runOnContext(v -> action.run());
  }

  /** Whether the client closed the connection before the response ended. */
  boolean clientGone() {
    return clientGone;
  }

  /** Calls {@code action} (on the event loop) if the client closes the connection before the response ends. */
  void onClientGone(Runnable action) {
    response.closeHandler(v -> {
      clientGone = true;
      action.run();
    });
  }

  void json(int status, JsonNode body) {
    if (clientGone || response.ended()) {
      return;
    }
    response.setStatusCode(status).putHeader("content-type", "application/json").end(toJson(body));
  }

  void error(ApiError error) {
    if (clientGone || response.ended()) {
      return;
    }
    error.retryAfterSeconds().ifPresent(s -> response.putHeader("retry-after", Long.toString(s)));
    json(error.httpStatus(), error.body());
  }

  static String toJson(JsonNode node) {
    try {
      return JSON.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree always serialises", e);
    }
  }

  private void logAccess() {
    long millis = (System.nanoTime() - startNanos) / 1_000_000;
    String tenant = request.getHeader("x-tenant");
    LogFields.of(
            LogFields.REQUEST_ID, requestId, LogFields.TENANT, tenant, LogFields.MODEL, model,
            "method", request.method().name(), "path", request.path(), "status", response.getStatusCode(),
            "duration_ms", millis)
        // Probes hit /health every few seconds; their lines would drown the requests'.
        .log(log, request.path().equals("/health") ? Level.FINE : Level.INFO,
            "http " + request.method() + " " + request.path() + " " + response.getStatusCode() + " in " + millis
                + " ms, request " + requestId + (model != null ? ", model " + model : "")
                + (tenant != null ? ", tenant " + tenant : ""));
  }
}
