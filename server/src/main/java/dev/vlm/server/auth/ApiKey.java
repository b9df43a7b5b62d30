package dev.vlm.server.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * One entry of the keys file: the SHA-256 of a key (the key itself is never stored), the tenant
 * it acts for and its role.
 *
 * @param sha256 64 lowercase hex digits
 */
public record ApiKey(String sha256, String tenant, Role role) {
  /** The lowercase hex SHA-256 of a key's UTF-8 bytes: what the keys file stores. */
  public static String sha256Hex(String key) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
