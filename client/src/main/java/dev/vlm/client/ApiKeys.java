package dev.vlm.client;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Makes API keys and the entries of a server's keys file, which stores only each key's SHA-256.
 * Thread-safe.
 */
public final class ApiKeys {
  private static final SecureRandom RANDOM = new SecureRandom();

  private ApiKeys() {}

  /**
   * Returns a new random key: {@code vlm_} and 32 random bytes, URL-safe base64.
   *
   * @return the key
   */
  public static String newKey() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return "vlm_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /**
   * Returns the lowercase hex SHA-256 of the key's UTF-8 bytes.
   *
   * @param key the key
   * @return 64 hex digits
   */
  public static String sha256Hex(String key) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /**
   * Returns the keys-file entry (YAML list item) for a key.
   *
   * @param key the key
   * @param tenant the tenant it acts for
   * @param role user, admin or gateway
   * @return three lines of YAML
   */
  public static String entry(String key, String tenant, String role) {
    return "- key_sha256: " + sha256Hex(key) + "\n  tenant: " + tenant + "\n  role: " + role;
  }
}
