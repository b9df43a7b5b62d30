package dev.vlm.server.config;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The one place that reads the Hugging Face environment variables, with the same precedence as
 * Python's {@code huggingface_hub}: cache {@code HF_HUB_CACHE}, else {@code $HF_HOME/hub}, else
 * {@code ~/.cache/huggingface/hub} ({@code HF_HOME} itself defaulting to
 * {@code $XDG_CACHE_HOME/huggingface}); endpoint {@code HF_ENDPOINT}; token {@code HF_TOKEN},
 * else the file {@code HF_TOKEN_PATH}, else {@code $HF_HOME/token}.
 */
public final class HubEnvironment {
  private HubEnvironment() {}

  /**
   * @param env the process environment (tests pass their own)
   * @param userHome the user's home directory
   * @throws IllegalArgumentException if {@code HF_ENDPOINT} is not an http(s) URL
   */
  public static HubSettings read(Map<String, String> env, Path userHome) {
    Path cacheHome = nonEmpty(env, "XDG_CACHE_HOME").map(Path::of).orElse(userHome.resolve(".cache"));
    Path hfHome = nonEmpty(env, "HF_HOME").map(Path::of).orElse(cacheHome.resolve("huggingface"));
    Path cache = nonEmpty(env, "HF_HUB_CACHE").map(Path::of).orElse(hfHome.resolve("hub"));
    URI endpoint = nonEmpty(env, "HF_ENDPOINT")
        .map(e -> URI.create(e.replaceAll("/+$", "")))
        .orElse(HubSettings.DEFAULT_ENDPOINT);
    Optional<String> token = nonEmpty(env, "HF_TOKEN");
    if (token.isEmpty()) {
      Path tokenFile = nonEmpty(env, "HF_TOKEN_PATH").map(Path::of).orElse(hfHome.resolve("token"));
      token = readToken(tokenFile);
    }
    return new HubSettings(cache, endpoint, token);
  }

  private static Optional<String> readToken(Path file) {
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      String text = Files.readString(file).strip();
      return text.isEmpty() ? Optional.empty() : Optional.of(text);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the Hugging Face token file " + file + ": " + e.getMessage(), e);
    }
  }

  private static Optional<String> nonEmpty(Map<String, String> env, String key) {
    String value = env.get(key);
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.strip());
  }
}
