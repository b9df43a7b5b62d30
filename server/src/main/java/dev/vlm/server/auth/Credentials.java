package dev.vlm.server.auth;

import java.util.Objects;
import java.util.Optional;

/**
 * What a call presented, before it is checked; the transport (gRPC, HTTP) fills it in.
 *
 * @param authorization the {@code authorization} header as sent
 * @param clientCertificateCn the subject CN of a verified client certificate (mutual TLS)
 * @param tenantHeader the {@code x-tenant} header as sent (checked only where it counts)
 */
public record Credentials(
    Optional<String> authorization, Optional<String> clientCertificateCn, Optional<String> tenantHeader) {
  public Credentials {
    Objects.requireNonNull(authorization, "authorization");
    Objects.requireNonNull(clientCertificateCn, "clientCertificateCn");
    Objects.requireNonNull(tenantHeader, "tenantHeader");
  }
}
