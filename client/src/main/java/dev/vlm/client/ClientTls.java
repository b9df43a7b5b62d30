package dev.vlm.client;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * How a {@link VlmClient} connects over TLS: which CA to trust for the server's certificate (the
 * JDK's trusted roots if none), and the client's own certificate for servers that require one
 * (mutual TLS). Immutable and thread-safe.
 *
 * <pre>{@code
 * ClientTls tls = ClientTls.systemTrust()
 *     .withCaCertificate(Path.of("ca.pem"))
 *     .withClientCertificate(Path.of("client.pem"), Path.of("client-key.pem"));
 * }</pre>
 */
public final class ClientTls {
  private final Path caCertificate;
  private final Path certificate;
  private final Path privateKey;

  private ClientTls(Path caCertificate, Path certificate, Path privateKey) {
    this.caCertificate = caCertificate;
    this.certificate = certificate;
    this.privateKey = privateKey;
  }

  /**
   * TLS trusting the JDK's root certificates, with no client certificate.
   *
   * @return the settings
   */
  public static ClientTls systemTrust() {
    return new ClientTls(null, null, null);
  }

  /**
   * Returns a copy that trusts only the CA certificates in this PEM file.
   *
   * @param pem CA certificates, PEM
   * @return the new settings
   * @throws IllegalArgumentException if the file cannot be read
   */
  public ClientTls withCaCertificate(Path pem) {
    return new ClientTls(readable(pem, "CA certificate"), certificate, privateKey);
  }

  /**
   * Returns a copy that presents this certificate (mutual TLS).
   *
   * @param certificatePem the client's certificate chain, PEM
   * @param privateKeyPem its private key, unencrypted PKCS#8 PEM
   * @return the new settings
   * @throws IllegalArgumentException if a file cannot be read
   */
  public ClientTls withClientCertificate(Path certificatePem, Path privateKeyPem) {
    return new ClientTls(caCertificate, readable(certificatePem, "client certificate"),
        readable(privateKeyPem, "client private key"));
  }

  /**
   * Returns the CA certificates trusted instead of the JDK's, if set.
   *
   * @return the PEM file, or empty
   */
  public Optional<Path> caCertificate() {
    return Optional.ofNullable(caCertificate);
  }

  /**
   * Returns the client certificate presented to the server, if set.
   *
   * @return the PEM file, or empty
   */
  public Optional<Path> certificate() {
    return Optional.ofNullable(certificate);
  }

  /**
   * Returns the private key of {@link #certificate()}, if set.
   *
   * @return the PEM file, or empty
   */
  public Optional<Path> privateKey() {
    return Optional.ofNullable(privateKey);
  }

  private static Path readable(Path file, String what) {
    Objects.requireNonNull(file, what);
    if (!Files.isReadable(file)) {
      throw new IllegalArgumentException(what + " " + file + " does not exist or cannot be read");
    }
    return file;
  }

  @Override
  public String toString() {
    return "ClientTls[ca=" + caCertificate + ", certificate=" + certificate + "]";
  }
}
