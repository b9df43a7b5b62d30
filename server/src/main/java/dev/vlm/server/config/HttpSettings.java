package dev.vlm.server.config;

import java.util.Objects;

/**
 * The OpenAI-compatible HTTP API.
 *
 * @param port the HTTP port; 0 picks a free one, -1 serves no HTTP API
 * @param remoteImages whether and how {@code http(s)} image URLs are fetched
 */
public record HttpSettings(int port, RemoteImageSettings remoteImages) {
  /** The port the server binds when none is configured. */
  public static final int DEFAULT_PORT = 8000;

  public HttpSettings {
    if (port < -1 || port > 65535) {
      throw new IllegalArgumentException("http port must be in 0..65535, or -1 for none; got " + port);
    }
    Objects.requireNonNull(remoteImages, "remoteImages");
  }

  /** No HTTP API (what embedded servers and tests get unless they ask). */
  public static HttpSettings off() {
    return new HttpSettings(-1, RemoteImageSettings.disabled());
  }

  /** The same settings on another port. */
  public HttpSettings withPort(int newPort) {
    return new HttpSettings(newPort, remoteImages);
  }

  /** The same settings with other remote-image rules. */
  public HttpSettings withRemoteImages(RemoteImageSettings newRemoteImages) {
    return new HttpSettings(port, newRemoteImages);
  }
}
