package dev.vlm.server.http;

import com.google.protobuf.ByteString;
import dev.vlm.api.v1.Image;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Optional;

/**
 * Turns an {@code image_url} into the gRPC {@link Image}: a {@code data:} URL is passed on as
 * is (the gRPC service decodes and checks it), an {@code http(s)} URL is fetched when the
 * server allows remote images, anything else is refused. Thread-safe.
 */
final class ImageUrls {
  private final Optional<RemoteImageFetcher> remote;

  /**
   * @param remote the fetcher, or empty when remote images are off
   */
  ImageUrls(Optional<RemoteImageFetcher> remote) {
    this.remote = remote;
  }

  /**
   * @param param the request field, for error messages
   * @throws ApiError if the URL is not usable
   */
  Image resolve(String url, String param) {
    String scheme = url.contains(":") ? url.substring(0, url.indexOf(':')).toLowerCase(Locale.ROOT) : "";
    return switch (scheme) {
      case "data" -> Image.newBuilder().setUri(url).build();
      case "http", "https" -> {
        RemoteImageFetcher fetcher =
            remote.orElseThrow(() -> ApiError.badRequest(param,
                "only data: URLs are accepted; this server does not fetch remote images (see http.remote_images)"));
        yield Image.newBuilder().setData(ByteString.copyFrom(fetcher.fetch(toUri(url, param), param))).build();
      }
      default -> throw ApiError.badRequest(param, "must be a data: URL (data:image/png;base64,...) or an http(s) URL");
    };
  }

  private static URI toUri(String url, String param) {
    try {
      return new URI(url);
    } catch (URISyntaxException e) {
      throw ApiError.badRequest(param, "is not a valid URL: " + e.getMessage());
    }
  }
}
