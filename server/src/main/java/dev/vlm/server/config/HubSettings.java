package dev.vlm.server.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * How the server reaches the Hugging Face Hub and where its cache is. Built once from the
 * environment by {@link HubEnvironment}; nothing else reads those variables.
 *
 * @param cacheDir the Hub cache ({@code models--ORG--REPO/{blobs,refs,snapshots}}), shared with
 *     Python's {@code huggingface_hub}
 * @param endpoint the Hub's base URL
 * @param token sent as {@code Authorization: Bearer} for gated and private repositories
 */
public record HubSettings(Path cacheDir, URI endpoint, Optional<String> token) {
  public static final URI DEFAULT_ENDPOINT = URI.create("https://huggingface.co");

  public HubSettings {
    Objects.requireNonNull(cacheDir, "cacheDir");
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(token, "token");
    String scheme = endpoint.getScheme();
    if (!"http".equals(scheme) && !"https".equals(scheme)) {
      throw new IllegalArgumentException("HF_ENDPOINT must be an http(s) URL, got '" + endpoint + "'");
    }
  }

  /**
   * The default cache under the user's home ({@code ~/.cache/huggingface/hub}), the default
   * endpoint, no token: for embedding and tests; the command line reads the environment instead.
   */
  public static HubSettings defaults() {
    return ofCache(Path.of(System.getProperty("user.home"), ".cache", "huggingface", "hub"));
  }

  /** The default endpoint, no token, this cache. */
  public static HubSettings ofCache(Path cacheDir) {
    return new HubSettings(cacheDir, DEFAULT_ENDPOINT, Optional.empty());
  }

  @Override
  public String toString() {
    // Never print the token.
    return "HubSettings[cacheDir=" + cacheDir + ", endpoint=" + endpoint + ", token=" + (token.isPresent() ? "set" : "none") + "]";
  }
}
