package dev.vlm.server.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vlm.server.config.HubSettings;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The two Hub HTTP calls a pull needs, as {@code huggingface_hub} makes them: the revision
 * listing ({@code /api/models/{repo}/revision/{revision}}) and, per file, a {@code HEAD} of
 * {@code /{repo}/resolve/{commit}/{path}} whose headers say the commit, the ETag and the size,
 * and whose redirect (to another host) says where a large file's bytes are. The token goes only
 * to the Hub's own host. Thread-safe.
 */
final class HubApi {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_REDIRECTS = 5;
  private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
  // ETags name files in the cache: nothing that could climb out of blobs/.
  private static final Pattern SAFE_ETAG = Pattern.compile("[0-9A-Za-z][0-9A-Za-z_-]*");

  private final HubSettings settings;
  private final HttpClient http;

  HubApi(HubSettings settings) {
    this.settings = settings;
    // Redirects are followed by hand: the token must not follow one to another host.
    this.http = HttpClient.newBuilder()
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(Duration.ofSeconds(20))
        .build();
  }

  String endpoint() {
    return settings.endpoint().toString().replaceAll("/+$", "");
  }

  /**
   * @throws HubException if the repository or revision does not exist, access is refused, or the
   *     Hub cannot be reached
   */
  RepoListing listing(String repoId, String revision) {
    URI uri = URI.create(endpoint() + "/api/models/" + repoId + "/revision/"
        + URLEncoder.encode(revision, StandardCharsets.UTF_8) + "?blobs=true");
    HttpResponse<InputStream> response = send(request(uri, true).GET().build(), repoId + "@" + revision);
    try (InputStream body = response.body()) {
      if (response.statusCode() != 200) {
        throw statusError(response, repoId, revision, null);
      }
      JsonNode root = JSON.readTree(body);
      String sha = root.path("sha").asText("");
      if (!COMMIT.matcher(sha).matches()) {
        throw new HubException("the listing of " + repoId + "@" + revision + " from " + endpoint()
            + " has no commit hash ('sha': '" + sha + "'); is HF_ENDPOINT a Hugging Face Hub?");
      }
      List<RepoFile> files = new ArrayList<>();
      for (JsonNode sibling : root.path("siblings")) {
        long size = sibling.path("lfs").path("size").asLong(sibling.path("size").asLong(-1));
        files.add(new RepoFile(sibling.path("rfilename").asText(), size));
      }
      return RepoListing.of(repoId, sha, files);
    } catch (IOException e) {
      throw new HubException("cannot read the listing of " + repoId + "@" + revision + " from " + endpoint()
          + ": " + e.getMessage(), e);
    }
  }

  /**
   * {@code HEAD} of a file's resolve URL, following redirects that stay on the Hub's host.
   *
   * @throws HubException naming the file if it is missing, refused, or the answer lacks the
   *     commit or ETag headers
   */
  FileLocation locate(String repoId, String commit, String path) {
    URI uri = URI.create(endpoint() + "/" + repoId + "/resolve/" + commit + "/" + encodePath(path));
    for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
      HttpRequest head = request(uri, true)
          .method("HEAD", HttpRequest.BodyPublishers.noBody())
          .header("Accept-Encoding", "identity")
          .build();
      HttpResponse<InputStream> response = send(head, path);
      closeQuietly(response);
      int status = response.statusCode();
      Optional<String> location = response.headers().firstValue("Location");
      boolean redirect = status >= 300 && status < 400 && location.isPresent();
      if (!redirect && status != 200) {
        throw statusError(response, repoId, commit, path);
      }
      if (redirect) {
        URI target = uri.resolve(location.get());
        if (sameHost(uri, target)) {
          uri = target; // e.g. a renamed repository: still the Hub
          continue;
        }
      }
      String repoCommit = response.headers().firstValue("X-Repo-Commit").orElseThrow(() -> new HubException(
          path + ": the answer from " + endpoint() + " has no X-Repo-Commit header; is HF_ENDPOINT a Hugging Face Hub?"));
      String etag = response.headers().firstValue("X-Linked-Etag")
          .or(() -> response.headers().firstValue("ETag"))
          .map(HubApi::normalizeEtag)
          .orElseThrow(() -> new HubException(path + ": the Hub sent no ETag, so the file cannot be verified"));
      if (!repoCommit.equals(commit) || !SAFE_ETAG.matcher(etag).matches()) {
        throw new HubException(path + ": the Hub answered for commit '" + repoCommit + "' with ETag '" + etag
            + "', expected commit " + commit + " and a hash");
      }
      long size = response.headers().firstValueAsLong("X-Linked-Size")
          .orElse(redirect ? -1 : response.headers().firstValueAsLong("Content-Length").orElse(-1));
      URI content = redirect ? uri.resolve(location.get()) : uri;
      return new FileLocation(path, repoCommit, etag, size, content, !redirect || sameHost(uri, content));
    }
    throw new HubException(path + ": more than " + MAX_REDIRECTS + " redirects from " + endpoint());
  }

  /**
   * {@code GET} of a file's content from {@code offset} on (a {@code Range} request when
   * resuming). The caller reads and closes the body.
   */
  HttpResponse<InputStream> content(FileLocation file, long offset) throws IOException {
    URI uri = file.content();
    boolean token = file.sendToken();
    for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
      HttpRequest.Builder get = request(uri, token).GET().header("Accept-Encoding", "identity");
      if (offset > 0) {
        get.header("Range", "bytes=" + offset + "-");
      }
      HttpResponse<InputStream> response;
      try {
        response = http.send(get.build(), HttpResponse.BodyHandlers.ofInputStream());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
      Optional<String> location = response.headers().firstValue("Location");
      if (response.statusCode() >= 300 && response.statusCode() < 400 && location.isPresent()) {
        closeQuietly(response);
        URI target = uri.resolve(location.get());
        token = token && sameHost(uri, target);
        uri = target;
        continue;
      }
      return response;
    }
    throw new IOException("more than " + MAX_REDIRECTS + " redirects");
  }

  private HttpRequest.Builder request(URI uri, boolean withToken) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(uri)
        .timeout(Duration.ofMinutes(2))
        .header("User-Agent", "vlm-server (huggingface_hub cache compatible)");
    if (withToken) {
      settings.token().ifPresent(t -> builder.header("Authorization", "Bearer " + t));
    }
    return builder;
  }

  private HttpResponse<InputStream> send(HttpRequest request, String what) {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofInputStream());
    } catch (IOException e) {
      throw new HubException(what + ": cannot reach " + endpoint() + " (" + describe(e) + ")", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new HubException(what + ": interrupted", e);
    }
  }

  /** One line for an HTTP error, using the Hub's {@code X-Error-Code} where it sends one. */
  private HubException statusError(HttpResponse<?> response, String repoId, String revision, String path) {
    int status = response.statusCode();
    String code = response.headers().firstValue("X-Error-Code").orElse("");
    String what = path == null ? repoId + "@" + revision : path + " in " + repoId + "@" + revision;
    String tokenHint = settings.token().isPresent()
        ? "the token was sent; check that its account has access"
        : "no token was sent; set HF_TOKEN or put one in $HF_HOME/token";
    String message = switch (status) {
      case 401, 403 -> code.equals("RepoNotFound")
          ? "repository " + repoId + " not found on " + endpoint() + " (" + status + "; or it is private and " + tokenHint + ")"
          : code.equals("GatedRepo")
              ? repoId + " is gated (" + status + "): accept its conditions on the Hub, then pull with a token; " + tokenHint
              : "access to " + what + " refused (" + status + "; gated or private repository): " + tokenHint;
      case 404 -> switch (code) {
        case "RevisionNotFound" -> "revision '" + revision + "' not found in " + repoId + " (404)";
        case "EntryNotFound" -> path + " not found in " + repoId + "@" + revision + " (404)";
        default -> path == null
            ? "repository " + repoId + " or its revision '" + revision + "' not found on " + endpoint() + " (404)"
            : path + " not found in " + repoId + "@" + revision + " (404)";
      };
      default -> what + ": the Hub at " + endpoint() + " answered HTTP " + status
          + response.headers().firstValue("X-Error-Message").map(m -> " (" + m + ")").orElse("");
    };
    return new HubException(message);
  }

  static String normalizeEtag(String etag) {
    String e = etag.strip();
    if (e.startsWith("W/")) {
      e = e.substring(2);
    }
    return e.replace("\"", "");
  }

  static String describe(IOException e) {
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  private static boolean sameHost(URI from, URI to) {
    return from.getHost() != null && from.getHost().equalsIgnoreCase(to.getHost()) && from.getPort() == to.getPort();
  }

  private static String encodePath(String path) {
    StringBuilder out = new StringBuilder();
    for (String segment : path.split("/")) {
      if (!out.isEmpty()) {
        out.append('/');
      }
      out.append(URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20"));
    }
    return out.toString();
  }

  private static void closeQuietly(HttpResponse<InputStream> response) {
    try {
      response.body().close();
    } catch (IOException e) {
      // Nothing was to be read.
    }
  }
}
