package dev.vlm.server.auth;

import java.util.regex.Pattern;

/** What a tenant name may look like, wherever it comes from (header, keys file, certificate). */
public final class Tenants {
  /** Longest tenant name. */
  public static final int MAX_LENGTH = 64;
  /** The rule, for error messages. */
  public static final String RULE =
      "must be 1 to " + MAX_LENGTH + " characters of A-Z, a-z, 0-9, '.', '_' and '-'";

  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._-]{1," + MAX_LENGTH + "}");

  private Tenants() {}

  /** Whether {@code name} is a valid tenant name. */
  public static boolean isValid(String name) {
    return VALID.matcher(name).matches();
  }
}
