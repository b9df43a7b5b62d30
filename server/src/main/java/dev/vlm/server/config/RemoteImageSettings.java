package dev.vlm.server.config;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Whether the HTTP API may fetch {@code http(s)} image URLs on a client's behalf, and within
 * which bounds. Off by default: fetching lets a caller make the server reach hosts it can reach,
 * so an operator must name those hosts.
 *
 * @param enabled fetch remote images at all; when false only {@code data:} URLs are accepted
 * @param allowedHosts host names (lower case, exact match) the server may fetch from; must not
 *     be empty when enabled
 * @param maxBytes largest image body fetched; a longer body is cut off and the request refused
 * @param timeout time for one fetch, connection and body together
 */
public record RemoteImageSettings(boolean enabled, List<String> allowedHosts, long maxBytes, Duration timeout) {
  public RemoteImageSettings {
    allowedHosts = allowedHosts.stream().map(h -> h.trim().toLowerCase(Locale.ROOT)).toList();
    Objects.requireNonNull(timeout, "timeout");
    if (enabled && allowedHosts.isEmpty()) {
      throw new IllegalArgumentException("http.remote_images.allowed_hosts must name at least one host when enabled");
    }
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("http.remote_images.max_bytes must be positive, got " + maxBytes);
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("http.remote_images.timeout must be positive, got " + timeout);
    }
  }

  /** Off; 20 MiB and 10 s once enabled. */
  public static RemoteImageSettings disabled() {
    return new RemoteImageSettings(false, List.of(), 20L << 20, Duration.ofSeconds(10));
  }

  /** Fetching from these hosts, with the default size and time limits. */
  public static RemoteImageSettings allowing(List<String> hosts) {
    return new RemoteImageSettings(true, hosts, 20L << 20, Duration.ofSeconds(10));
  }
}
