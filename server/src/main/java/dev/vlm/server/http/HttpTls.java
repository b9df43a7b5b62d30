package dev.vlm.server.http;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * TLS for the HTTP port: a PEM certificate chain and its PEM private key (PKCS#8 or PKCS#1).
 *
 * @param certificateChain the server's certificate, then its intermediates
 * @param privateKey the certificate's private key
 */
public record HttpTls(Path certificateChain, Path privateKey) {
  /**
   * @throws IllegalArgumentException if either file is not readable, naming it
   */
  public HttpTls {
    Objects.requireNonNull(certificateChain, "certificateChain");
    Objects.requireNonNull(privateKey, "privateKey");
    for (Path file : new Path[] {certificateChain, privateKey}) {
      if (!Files.isReadable(file)) {
        throw new IllegalArgumentException("TLS file " + file + " is not readable");
      }
    }
  }
}
