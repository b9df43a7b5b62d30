package dev.vlm.server.hub;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Checks a downloaded blob against its ETag: a 64-hex ETag is the sha256 of a large (LFS or Xet)
 * file; a 40-hex one is the git blob sha1 of a small file ({@code sha1("blob SIZE\0" + bytes)}).
 * Any other ETag cannot be checked. Stateless.
 */
final class BlobDigest {
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern SHA1 = Pattern.compile("[0-9a-f]{40}");

  private BlobDigest() {}

  /**
   * @return a description of the mismatch, or empty if the file matches (or cannot be checked)
   */
  static Optional<String> mismatch(Path file, String etag) throws IOException {
    String algorithm;
    byte[] prefix = new byte[0];
    if (SHA256.matcher(etag).matches()) {
      algorithm = "SHA-256";
    } else if (SHA1.matcher(etag).matches()) {
      algorithm = "SHA-1";
      prefix = ("blob " + Files.size(file) + "\0").getBytes(StandardCharsets.US_ASCII);
    } else {
      return Optional.empty();
    }
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    digest.update(prefix);
    byte[] buffer = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
    }
    String actual = HexFormat.of().formatHex(digest.digest());
    String kind = algorithm.equals("SHA-256") ? "sha256" : "git blob sha1";
    return actual.equals(etag) ? Optional.empty() : Optional.of("expected " + kind + " " + etag + ", got " + actual);
  }
}
