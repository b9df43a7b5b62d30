package dev.vlm.client;

import com.google.protobuf.ByteString;
import dev.vlm.api.v1.Image;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Makes {@link Image} messages from files, bytes or URIs. The server decodes the image, so the
 * bytes must be a whole encoded file (PNG, JPEG, BMP or GIF), not raw pixels.
 *
 * <p>Stateless and thread-safe.
 */
public final class Images {
  private Images() {}

  /**
   * Reads an image file into an {@link Image} carrying its bytes.
   *
   * @param file the encoded image file
   * @return the image with the file's bytes
   * @throws IOException if the file cannot be read or is empty
   */
  public static Image fromFile(Path file) throws IOException {
    Objects.requireNonNull(file, "file");
    byte[] bytes = Files.readAllBytes(file);
    if (bytes.length == 0) {
      throw new IOException("image file is empty: " + file);
    }
    return fromBytes(bytes);
  }

  /**
   * Wraps encoded image bytes in an {@link Image}.
   *
   * @param encoded the bytes of an encoded image file; copied
   * @return the image
   * @throws IllegalArgumentException if {@code encoded} is empty
   */
  public static Image fromBytes(byte[] encoded) {
    Objects.requireNonNull(encoded, "encoded");
    if (encoded.length == 0) {
      throw new IllegalArgumentException("image bytes must not be empty");
    }
    return Image.newBuilder().setData(ByteString.copyFrom(encoded)).build();
  }

  /**
   * Refers to an image by URI: a {@code file://} path on the server's host or a {@code
   * data:image/...;base64,} URI. The server does not fetch over the network.
   *
   * @param uri the image's URI
   * @return the image
   * @throws IllegalArgumentException if {@code uri} is blank
   */
  public static Image fromUri(String uri) {
    Objects.requireNonNull(uri, "uri");
    if (uri.isBlank()) {
      throw new IllegalArgumentException("image uri must not be blank");
    }
    return Image.newBuilder().setUri(uri).build();
  }
}
