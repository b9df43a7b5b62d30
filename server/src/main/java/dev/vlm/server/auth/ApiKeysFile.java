package dev.vlm.server.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Parses the keys file, a YAML list:
 *
 * <pre>
 * - key_sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
 *   tenant: team-a
 *   role: user        # user | admin | gateway
 * </pre>
 *
 * The whole file is checked before any of it is used: one bad entry rejects the file.
 */
final class ApiKeysFile {
  private static final Set<String> KEYS = Set.of("key_sha256", "tenant", "role");
  private static final Pattern HEX = Pattern.compile("[0-9a-fA-F]{64}");

  private ApiKeysFile() {}

  /**
   * @return the keys by their hash
   * @throws IllegalArgumentException naming the first problem (entry index and field)
   */
  static Map<String, ApiKey> parse(byte[] yaml) {
    JsonNode root;
    try {
      root = new YAMLMapper().readTree(yaml);
    } catch (IOException e) {
      throw new IllegalArgumentException("not valid YAML: " + e.getMessage(), e);
    }
    if (root == null || root.isNull() || root.isMissingNode()) {
      return Map.of();
    }
    if (!root.isArray()) {
      throw new IllegalArgumentException("must be a list of {key_sha256, tenant, role} entries");
    }
    Map<String, ApiKey> keys = new HashMap<>();
    int index = 0;
    for (JsonNode entry : root) {
      String where = "entry " + index++;
      if (!entry.isObject()) {
        throw new IllegalArgumentException(where + " must be a mapping with key_sha256, tenant and role");
      }
      for (Iterator<String> it = entry.fieldNames(); it.hasNext(); ) {
        String field = it.next();
        if (!KEYS.contains(field)) {
          throw new IllegalArgumentException(where + " has unknown field '" + field + "'; known: " + KEYS);
        }
      }
      String hash = text(entry, "key_sha256", where);
      if (!HEX.matcher(hash).matches()) {
        throw new IllegalArgumentException(where + ".key_sha256 must be 64 hex digits (a SHA-256), not the key itself");
      }
      String tenant = text(entry, "tenant", where);
      if (!Tenants.isValid(tenant)) {
        throw new IllegalArgumentException(where + ".tenant " + Tenants.RULE + ", got '" + tenant + "'");
      }
      Role role;
      try {
        role = Role.parse(text(entry, "role", where));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + "." + e.getMessage(), e);
      }
      String normalized = hash.toLowerCase(Locale.ROOT);
      if (keys.put(normalized, new ApiKey(normalized, tenant, role)) != null) {
        throw new IllegalArgumentException(where + " repeats a key_sha256 listed before it");
      }
    }
    return Map.copyOf(keys);
  }

  private static String text(JsonNode entry, String field, String where) {
    JsonNode value = entry.get(field);
    if (value == null || !value.isTextual() || value.asText().isBlank()) {
      throw new IllegalArgumentException(where + " needs '" + field + "'");
    }
    return value.asText();
  }
}
