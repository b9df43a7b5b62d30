package dev.vlm.server.auth;

import dev.vlm.server.errors.InvalidArgumentException;
import dev.vlm.server.errors.UnauthenticatedException;
import java.util.Locale;
import java.util.Optional;

/**
 * Turns a call's {@link Credentials} into a {@link Caller}, or refuses it.
 *
 * <ul>
 *   <li>Development mode (no {@code auth} configured): anyone may call and manage models; the
 *       tenant is {@code x-tenant}, or {@value #DEFAULT_TENANT}.
 *   <li>With auth: {@code authorization: Bearer KEY} must name a key in force; its tenant and role
 *       apply and {@code x-tenant} is ignored, except from a {@link Role#GATEWAY gateway} key. With
 *       {@code tenant_from_client_cert}, a call without a key is a {@link Role#USER user} of the
 *       tenant its verified client certificate's CN names. Anything else is UNAUTHENTICATED.
 * </ul>
 *
 * <p>Thread-safe.
 */
public final class Authenticator {
  /** The tenant of development-mode calls that send no {@code x-tenant}. */
  public static final String DEFAULT_TENANT = "default";

  private static final String BEARER = "bearer ";
  private static final String TENANT_HEADER = "x-tenant";

  private final boolean enabled;
  private final Optional<ApiKeys> keys;
  private final boolean tenantFromClientCert;

  private Authenticator(boolean enabled, Optional<ApiKeys> keys, boolean tenantFromClientCert) {
    this.enabled = enabled;
    this.keys = keys;
    this.tenantFromClientCert = tenantFromClientCert;
  }

  /** No credentials needed: every caller is an admin of the tenant it names. */
  public static Authenticator developmentMode() {
    return new Authenticator(false, Optional.empty(), false);
  }

  /**
   * @param keys the API keys in force, if keys are configured
   * @param tenantFromClientCert whether a verified client certificate's CN names the tenant
   */
  public static Authenticator enforcing(Optional<ApiKeys> keys, boolean tenantFromClientCert) {
    return new Authenticator(true, keys, tenantFromClientCert);
  }

  /** False in development mode. */
  public boolean enabled() {
    return enabled;
  }

  /**
   * @throws UnauthenticatedException if auth is on and the call has no valid credential
   * @throws InvalidArgumentException if an {@code x-tenant} header that counts is malformed
   */
  public Caller authenticate(Credentials credentials) {
    if (!enabled) {
      return new Caller(headerTenant(credentials, DEFAULT_TENANT), Role.ADMIN);
    }
    if (credentials.authorization().isPresent()) {
      ApiKey key = findKey(credentials.authorization().get());
      // Only a trusted gateway speaks for other tenants; anyone else's x-tenant is ignored.
      String tenant = key.role() == Role.GATEWAY ? headerTenant(credentials, key.tenant()) : key.tenant();
      return new Caller(tenant, key.role());
    }
    if (tenantFromClientCert && credentials.clientCertificateCn().isPresent()) {
      String cn = credentials.clientCertificateCn().get();
      if (!Tenants.isValid(cn)) {
        throw new UnauthenticatedException("the client certificate's CN names the tenant and " + Tenants.RULE);
      }
      return new Caller(cn, Role.USER);
    }
    throw new UnauthenticatedException("this server needs credentials: send the header 'authorization: Bearer KEY'"
        + (tenantFromClientCert ? " or present a client certificate" : ""));
  }

  /**
   * @throws InvalidArgumentException if the header is not a valid tenant name
   */
  private static String headerTenant(Credentials credentials, String fallback) {
    if (credentials.tenantHeader().isEmpty()) {
      return fallback;
    }
    String tenant = credentials.tenantHeader().get();
    if (!Tenants.isValid(tenant)) {
      String shown = tenant.length() > Tenants.MAX_LENGTH ? tenant.substring(0, Tenants.MAX_LENGTH) + "..." : tenant;
      throw new InvalidArgumentException(
          TENANT_HEADER, "header " + Tenants.RULE + ", got \"" + shown + "\" (" + tenant.length() + " characters)");
    }
    return tenant;
  }

  private ApiKey findKey(String header) {
    if (header.length() <= BEARER.length() || !header.substring(0, BEARER.length()).toLowerCase(Locale.ROOT).equals(BEARER)) {
      throw new UnauthenticatedException("the authorization header must be 'Bearer KEY'");
    }
    String presented = header.substring(BEARER.length()).strip();
    return keys.flatMap(k -> k.find(presented))
        .orElseThrow(() -> new UnauthenticatedException("the API key is not valid (unknown or revoked)"));
  }
}
