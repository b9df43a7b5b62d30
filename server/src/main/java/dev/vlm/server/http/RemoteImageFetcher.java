package dev.vlm.server.http;

import dev.vlm.server.config.RemoteImageSettings;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Fetches an {@code http(s)} image URL for a request, within the operator's bounds: only from
 * allowed hosts (exact names), no redirects (a redirect could leave the allow-list), at most
 * {@code maxBytes} of body and {@code timeout} for the whole fetch. Every refusal is a 400
 * naming the request field. Thread-safe; fetches block their caller (a worker, never an event
 * loop).
 */
final class RemoteImageFetcher implements AutoCloseable {
  private final RemoteImageSettings settings;
  private final HttpClient client;
  private final ExecutorService fetchers = Executors.newVirtualThreadPerTaskExecutor();

  RemoteImageFetcher(RemoteImageSettings settings) {
    this.settings = settings;
    this.client =
        HttpClient.newBuilder()
            .connectTimeout(settings.timeout())
            .followRedirects(HttpClient.Redirect.NEVER)
            .executor(fetchers)
            .build();
  }

  /**
   * @param param the request field, for error messages
   * @return the image file's bytes
   * @throws ApiError if the host is not allowed, the fetch fails, times out or is too large
   */
  byte[] fetch(URI url, String param) {
    String host = url.getHost() == null ? "" : url.getHost().toLowerCase(Locale.ROOT);
    if (!settings.allowedHosts().contains(host)) {
      throw ApiError.badRequest(param, "host '" + host + "' is not in this server's allowed image hosts");
    }
    AtomicReference<InputStream> body = new AtomicReference<>();
    CompletableFuture<byte[]> fetch = CompletableFuture.supplyAsync(() -> download(url, param, body), fetchers);
    try {
      return fetch.get(settings.timeout().toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      fetch.cancel(true);
      closeQuietly(body.get());
      throw ApiError.badRequest(param, "fetching the image took longer than " + settings.timeout().toMillis() + " ms");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof ApiError apiError) {
        throw apiError;
      }
      throw ApiError.badRequest(param, "cannot fetch the image: " + e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ApiError.badRequest(param, "fetching the image was interrupted");
    }
  }

  private byte[] download(URI url, String param, AtomicReference<InputStream> body) {
    HttpRequest request = HttpRequest.newBuilder(url).timeout(settings.timeout()).GET().build();
    try {
      HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
      try (InputStream in = response.body()) {
        body.set(in);
        if (response.statusCode() != 200) {
          throw ApiError.badRequest(param, "fetching the image answered HTTP " + response.statusCode());
        }
        long declared = response.headers().firstValueAsLong("content-length").orElse(-1);
        if (declared > settings.maxBytes()) {
          throw tooLarge(param);
        }
        // One byte past the limit tells a too-long body from one exactly at it.
        byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, settings.maxBytes() + 1));
        if (bytes.length > settings.maxBytes()) {
          throw tooLarge(param);
        }
        return bytes;
      }
    } catch (IOException e) {
      throw ApiError.badRequest(param, "cannot fetch the image: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ApiError.badRequest(param, "fetching the image was interrupted");
    }
  }

  private ApiError tooLarge(String param) {
    return ApiError.badRequest(param, "the image is larger than this server's limit of " + settings.maxBytes() + " bytes");
  }

  private static void closeQuietly(InputStream in) {
    if (in != null) {
      try {
        in.close();
      } catch (IOException ignored) {
        // Already failing the request for its timeout.
      }
    }
  }

  @Override
  public void close() {
    client.shutdownNow();
    fetchers.shutdownNow();
  }
}
