package dev.vlm.server.auth;

import java.util.Locale;

/** What a credential may do. */
public enum Role {
  /** Generates with the models its tenant may use; sees only those. */
  USER,
  /** A user that may also load and unload models. */
  ADMIN,
  /**
   * A trusted front end (an API gateway) that calls on behalf of other tenants: its {@code
   * x-tenant} header names the tenant, and the key's own tenant applies when it sends none.
   */
  GATEWAY;

  /**
   * @throws IllegalArgumentException if {@code text} is not user, admin or gateway
   */
  static Role parse(String text) {
    return switch (text.toLowerCase(Locale.ROOT)) {
      case "user" -> USER;
      case "admin" -> ADMIN;
      case "gateway" -> GATEWAY;
      default -> throw new IllegalArgumentException("role must be user, admin or gateway, got '" + text + "'");
    };
  }
}
