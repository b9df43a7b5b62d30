package dev.vlm.server.auth;

import java.util.Objects;

/**
 * Who is calling, once authenticated: the tenant its work is counted against and its role.
 *
 * @param tenant the tenant (from the credential; from {@code x-tenant} only for a gateway or in
 *     development mode)
 * @param role what it may do
 */
public record Caller(String tenant, Role role) {
  public Caller {
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(role, "role");
  }
}
