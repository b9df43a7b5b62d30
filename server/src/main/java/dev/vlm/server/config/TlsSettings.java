package dev.vlm.server.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * TLS for a listening port, from PEM files. Used by the gRPC port and the metrics port, and meant
 * for any other listener the server grows (an HTTP front end takes the same record).
 *
 * @param certChain the server's certificate chain, leaf first (PEM)
 * @param privateKey the server's private key, unencrypted PKCS#8 (PEM {@code BEGIN PRIVATE KEY})
 * @param clientCa if present, clients must present a certificate signed by one of these CA
 *     certificates (mutual TLS); if empty, clients are not asked for one
 */
public record TlsSettings(Path certChain, Path privateKey, Optional<Path> clientCa) {
  public TlsSettings {
    Objects.requireNonNull(certChain, "certChain");
    Objects.requireNonNull(privateKey, "privateKey");
    Objects.requireNonNull(clientCa, "clientCa");
  }

  /** True when clients must present a certificate. */
  public boolean mutual() {
    return clientCa.isPresent();
  }

  /**
   * Checks that every file exists and is readable, so a typo fails at start-up with its path.
   *
   * @throws IllegalArgumentException naming the first missing file
   */
  public void checkReadable() {
    check(certChain, "tls.cert_chain");
    check(privateKey, "tls.private_key");
    clientCa.ifPresent(ca -> check(ca, "tls.client_ca"));
  }

  private static void check(Path file, String key) {
    if (!Files.isReadable(file)) {
      throw new IllegalArgumentException(key + " file " + file + " does not exist or cannot be read");
    }
  }
}
