package dev.vlm.server.hub;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A local stand-in for the Hugging Face Hub, serving fixture repositories through the endpoints
 * and headers of the real one:
 *
 * <ul>
 *   <li>{@code GET /api/models/{repo}/revision/{revision}}: {@code sha} and {@code siblings}
 *       ({@code rfilename}, {@code blobId}; {@code size} and {@code lfs} with {@code ?blobs=true}).
 *   <li>{@code HEAD|GET /{repo}/resolve/{revision}/{path}}: small files answer 200 with their git
 *       blob sha1 as {@code ETag}; large files (ONNX graphs and their data) answer 302 to a
 *       separate storage host with {@code X-Linked-Etag} (sha256) and {@code X-Linked-Size}; both
 *       carry {@code X-Repo-Commit}. Errors carry {@code X-Error-Code} as the Hub's do.
 *   <li>{@code GET /storage/{sha256}} on {@code localhost} (the Hub itself is {@code 127.0.0.1}:
 *       another host, so clients must not send the token there), with {@code Range} support.
 * </ul>
 *
 * Faults can be injected: a connection dropped mid-file, corrupted bytes, a gated repository.
 * Every request is logged. Thread-safe.
 */
public final class FakeHub implements AutoCloseable {
  private static final Pattern API = Pattern.compile("/api/models/(.+)/revision/([^/?]+)");
  private static final Pattern RESOLVE = Pattern.compile("/([^/]+/[^/]+)/resolve/([^/]+)/(.+)");
  private static final Pattern STORAGE = Pattern.compile("/storage/([0-9a-f]{64})");

  /** One served file. */
  record Blob(String path, byte[] bytes, boolean large, String gitSha1, String sha256) {}

  /** A repository at one commit. */
  record Repo(String id, String commit, Map<String, Blob> files) {}

  /** What a client asked for. */
  public record Request(String method, String path, Optional<String> range, Optional<String> authorization) {}

  private final HttpServer server;
  private final Map<String, Repo> repos = new ConcurrentHashMap<>();
  private final Map<String, String> gated = new ConcurrentHashMap<>();
  private final Map<String, Integer> dropAfterBytes = new ConcurrentHashMap<>();
  private final Map<String, Integer> dropsLeft = new ConcurrentHashMap<>();
  private final Map<String, Boolean> corrupt = new ConcurrentHashMap<>();
  private final List<Request> log = new CopyOnWriteArrayList<>();
  private volatile long storageDelayNanosPerChunk;

  private FakeHub(HttpServer server) {
    this.server = server;
  }

  /** Starts on a free loopback port. */
  public static FakeHub start() throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
    FakeHub hub = new FakeHub(server);
    server.createContext("/", hub::handle);
    server.setExecutor(Executors.newCachedThreadPool(r -> Thread.ofPlatform().daemon().unstarted(r)));
    server.start();
    return hub;
  }

  /** The endpoint to give clients ({@code HF_ENDPOINT}). */
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /**
   * Serves every file under {@code dir} (plus {@code extra}, path to bytes) as {@code repoId} at
   * revision {@code main}; the commit is a hash of the contents.
   *
   * @return the commit
   */
  public String addRepo(String repoId, Path dir, Map<String, byte[]> extra) throws IOException {
    Map<String, byte[]> contents = new TreeMap<>();
    if (dir != null) {
      try (Stream<Path> walk = Files.walk(dir)) {
        for (Path file : walk.filter(Files::isRegularFile).toList()) {
          contents.put(dir.relativize(file).toString().replace('\\', '/'), Files.readAllBytes(file));
        }
      }
    }
    contents.putAll(extra);
    MessageDigest commitHash = digest("SHA-1");
    Map<String, Blob> files = new TreeMap<>();
    for (Map.Entry<String, byte[]> e : contents.entrySet()) {
      byte[] bytes = e.getValue();
      boolean large = e.getKey().contains(".onnx");
      String sha256 = hex(digest("SHA-256").digest(bytes));
      // A large file's git blob is its LFS pointer; a small file's is its content.
      byte[] gitContent = large
          ? ("version https://git-lfs.github.com/spec/v1\noid sha256:" + sha256 + "\nsize " + bytes.length + "\n")
              .getBytes(StandardCharsets.UTF_8)
          : bytes;
      MessageDigest sha1 = digest("SHA-1");
      sha1.update(("blob " + gitContent.length + "\0").getBytes(StandardCharsets.US_ASCII));
      String gitSha1 = hex(sha1.digest(gitContent));
      files.put(e.getKey(), new Blob(e.getKey(), bytes, large, gitSha1, sha256));
      commitHash.update((e.getKey() + gitSha1).getBytes(StandardCharsets.UTF_8));
    }
    String commit = hex(commitHash.digest());
    repos.put(repoId, new Repo(repoId, commit, files));
    return commit;
  }

  /** Requests without {@code Authorization: Bearer token} get 401 (GatedRepo). */
  public void gate(String repoId, String token) {
    gated.put(repoId, token);
  }

  /**
   * The next {@code times} downloads of {@code path}'s bytes drop the connection after sending
   * {@code bytes} bytes (at least one, so the client has the response and cannot silently retry).
   */
  public void dropConnection(String path, int bytes, int times) {
    dropAfterBytes.put(path, bytes);
    dropsLeft.put(path, times);
  }

  /** {@code path}'s bytes are served with one byte flipped (its ETag unchanged). */
  public void corrupt(String path) {
    corrupt.put(path, true);
  }

  /** Slows storage downloads down (per 64 KiB), so a test can watch one in progress. */
  public void throttle(long nanosPerChunk) {
    storageDelayNanosPerChunk = nanosPerChunk;
  }

  public void clearFaults() {
    dropAfterBytes.clear();
    dropsLeft.clear();
    corrupt.clear();
    storageDelayNanosPerChunk = 0;
  }

  public List<Request> requests() {
    return List.copyOf(log);
  }

  public void clearLog() {
    log.clear();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getRawPath();
      Headers in = exchange.getRequestHeaders();
      log.add(new Request(exchange.getRequestMethod(), path, Optional.ofNullable(in.getFirst("Range")),
          Optional.ofNullable(in.getFirst("Authorization"))));
      Matcher m;
      if ((m = API.matcher(path)).matches()) {
        listing(exchange, m.group(1), URLDecoder.decode(m.group(2), StandardCharsets.UTF_8));
      } else if ((m = STORAGE.matcher(path)).matches()) {
        storage(exchange, m.group(1));
      } else if ((m = RESOLVE.matcher(path)).matches()) {
        resolve(exchange, m.group(1), URLDecoder.decode(m.group(2), StandardCharsets.UTF_8),
            URLDecoder.decode(m.group(3), StandardCharsets.UTF_8));
      } else {
        error(exchange, 404, "", "not a Hub endpoint");
      }
    } catch (IOException | RuntimeException e) {
      // A dropped connection ends here on purpose; anything else fails the client's test.
    }
  }

  private Optional<Repo> access(HttpExchange exchange, String repoId, String revision) throws IOException {
    Repo repo = repos.get(repoId);
    if (repo == null) {
      error(exchange, 404, "RepoNotFound", "Repository not found");
      return Optional.empty();
    }
    String token = gated.get(repoId);
    if (token != null && !("Bearer " + token).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
      error(exchange, 401, "GatedRepo", "Access to model " + repoId + " is restricted");
      return Optional.empty();
    }
    if (!revision.equals("main") && !revision.equals(repo.commit())) {
      error(exchange, 404, "RevisionNotFound", "Invalid rev id: " + revision);
      return Optional.empty();
    }
    return Optional.of(repo);
  }

  private void listing(HttpExchange exchange, String repoId, String revision) throws IOException {
    Optional<Repo> found = access(exchange, repoId, revision);
    if (found.isEmpty()) {
      return;
    }
    Repo repo = found.get();
    boolean blobs = Optional.ofNullable(exchange.getRequestURI().getRawQuery()).orElse("").contains("blobs=true");
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = json.createObjectNode();
    root.put("_id", "fake").put("id", repoId).put("modelId", repoId).put("sha", repo.commit()).put("private", false);
    ArrayNode siblings = root.putArray("siblings");
    for (Blob blob : repo.files().values()) {
      ObjectNode s = siblings.addObject().put("rfilename", blob.path());
      if (blobs) {
        s.put("blobId", blob.gitSha1()).put("size", blob.large() ? 134 : blob.bytes().length);
        if (blob.large()) {
          s.putObject("lfs").put("sha256", blob.sha256()).put("size", blob.bytes().length).put("pointerSize", 134);
        }
      }
    }
    byte[] body = json.writeValueAsBytes(root);
    exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    exchange.sendResponseHeaders(200, body.length);
    exchange.getResponseBody().write(body);
  }

  private void resolve(HttpExchange exchange, String repoId, String revision, String file) throws IOException {
    Optional<Repo> found = access(exchange, repoId, revision);
    if (found.isEmpty()) {
      return;
    }
    Repo repo = found.get();
    Headers out = exchange.getResponseHeaders();
    out.set("X-Repo-Commit", repo.commit());
    Blob blob = repo.files().get(file);
    if (blob == null) {
      error(exchange, 404, "EntryNotFound", file + " does not exist on \"" + revision + "\"");
      return;
    }
    out.set("ETag", "\"" + blob.gitSha1() + "\"");
    if (blob.large()) {
      out.set("X-Linked-Etag", "\"" + blob.sha256() + "\"");
      out.set("X-Linked-Size", Long.toString(blob.bytes().length));
      out.set("Location", "http://localhost:" + server.getAddress().getPort() + "/storage/" + blob.sha256());
      exchange.sendResponseHeaders(302, -1);
      return;
    }
    send(exchange, blob);
  }

  private void storage(HttpExchange exchange, String sha256) throws IOException {
    Blob blob = repos.values().stream()
        .flatMap(r -> r.files().values().stream())
        .filter(b -> b.sha256().equals(sha256))
        .findFirst()
        .orElse(null);
    if (blob == null) {
      error(exchange, 404, "", "no such object");
      return;
    }
    exchange.getResponseHeaders().set("ETag", "\"" + sha256 + "\"");
    send(exchange, blob);
  }

  /** 200, or 206 for a {@code Range: bytes=N-}; applies the injected faults. */
  private void send(HttpExchange exchange, Blob blob) throws IOException {
    byte[] bytes = blob.bytes();
    if (corrupt.containsKey(blob.path())) {
      bytes = bytes.clone();
      bytes[bytes.length / 2] ^= 0x5a;
    }
    Headers out = exchange.getResponseHeaders();
    out.set("Accept-Ranges", "bytes");
    int from = 0;
    int status = 200;
    String range = exchange.getRequestHeaders().getFirst("Range");
    if (range != null && range.startsWith("bytes=") && range.endsWith("-")) {
      from = Integer.parseInt(range.substring(6, range.length() - 1));
      if (from >= bytes.length) {
        out.set("Content-Range", "bytes */" + bytes.length);
        exchange.sendResponseHeaders(416, -1);
        return;
      }
      status = 206;
      out.set("Content-Range", "bytes " + from + "-" + (bytes.length - 1) + "/" + bytes.length);
    }
    int length = bytes.length - from;
    if (exchange.getRequestMethod().equals("HEAD")) {
      out.set("Content-Length", Integer.toString(length));
      exchange.sendResponseHeaders(status, -1);
      return;
    }
    exchange.sendResponseHeaders(status, length);
    int stopAt = bytes.length;
    Integer drops = dropsLeft.get(blob.path());
    if (drops != null && drops > 0) {
      dropsLeft.put(blob.path(), drops - 1);
      stopAt = Math.min(bytes.length, from + Math.max(1, dropAfterBytes.get(blob.path())));
    }
    OutputStream body = exchange.getResponseBody();
    for (int at = from; at < stopAt; at += 1 << 16) {
      body.write(bytes, at, Math.min(1 << 16, stopAt - at));
      body.flush();
      long delay = storageDelayNanosPerChunk;
      if (delay > 0) {
        try {
          Thread.sleep(delay / 1_000_000, (int) (delay % 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
    if (stopAt < bytes.length) {
      // Promised more than was sent: closing now drops the connection mid-file.
      throw new IOException("dropping the connection on purpose");
    }
  }

  private static void error(HttpExchange exchange, int status, String code, String message) throws IOException {
    if (!code.isEmpty()) {
      exchange.getResponseHeaders().set("X-Error-Code", code);
    }
    exchange.getResponseHeaders().set("X-Error-Message", message);
    byte[] body = ("{\"error\":\"" + message.replace("\"", "'") + "\"}").getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    if (exchange.getRequestMethod().equals("HEAD")) {
      exchange.sendResponseHeaders(status, -1);
    } else {
      exchange.sendResponseHeaders(status, body.length);
      exchange.getResponseBody().write(body);
    }
  }

  /** The files (and links to files) under {@code dir}, as relative paths with {@code /}. */
  public static List<String> filesUnder(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(p -> !Files.isDirectory(p)).map(p -> dir.relativize(p).toString().replace('\\', '/')).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static MessageDigest digest(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
