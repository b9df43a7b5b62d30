package dev.vlm.server.hub;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Fetches one file into the cache: reuses its blob when already there, else downloads to
 * {@code blobs/ETAG.incomplete} (resuming what an earlier try left, with {@code Range}), checks
 * the size and the digest, renames it to {@code blobs/ETAG} and only then links it into the
 * snapshot. A corrupt download is deleted; an interrupted one is kept to resume. Thread-safe per
 * blob through a lock file.
 */
final class BlobFetcher {
  /** Tries per file; each resumes where the one before stopped. */
  static final int ATTEMPTS = 3;

  /** File locks exclude other processes; within this one, two loads of one blob wait here. */
  private static final ConcurrentHashMap<Path, Object> IN_PROCESS = new ConcurrentHashMap<>();

  private final HubApi api;
  private final HubCache cache;

  BlobFetcher(HubApi api, HubCache cache) {
    this.api = api;
    this.cache = cache;
  }

  /** @throws HubException naming the file and the cause */
  void fetch(String repoId, FileLocation file, PullListener listener) {
    Path blob = cache.blob(repoId, file.etag());
    try {
      if (!isComplete(blob, file.size())) {
        Path lockFile = cache.lockFile(repoId, file.etag());
        Files.createDirectories(lockFile.getParent());
        Files.createDirectories(blob.getParent());
        synchronized (IN_PROCESS.computeIfAbsent(lockFile.toAbsolutePath(), k -> new Object())) {
          try (FileChannel lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
              FileLock lock = lockChannel.lock()) {
            if (!isComplete(blob, file.size())) { // another process may have finished it meanwhile
              download(repoId, file, blob, listener);
              cache.link(repoId, file.commit(), file.path(), file.etag());
              listener.fileFinished(file.path(), true);
              return;
            }
          }
        }
      }
      listener.fileStarted(file.path(), file.size(), Files.size(blob));
      cache.link(repoId, file.commit(), file.path(), file.etag());
      listener.fileFinished(file.path(), false);
    } catch (IOException e) {
      throw new HubException(file.path() + ": " + ioCause(e, blob), e);
    }
  }

  private void download(String repoId, FileLocation file, Path blob, PullListener listener) throws IOException {
    Path partial = cache.incomplete(repoId, file.etag());
    long size = file.size();
    long start = Files.exists(partial) ? Files.size(partial) : 0;
    if (size >= 0 && start > size) {
      Files.delete(partial); // longer than the file: not a prefix of it
      start = 0;
    }
    listener.fileStarted(file.path(), size, start);
    IOException last = null;
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      long offset = Files.exists(partial) ? Files.size(partial) : 0;
      if (size >= 0 && offset == size) {
        last = null;
        break;
      }
      try {
        transfer(file, partial, offset, listener);
        last = null;
        break;
      } catch (IOException e) {
        if (isDiskFull(e)) {
          throw e;
        }
        last = e;
      }
    }
    long have = Files.exists(partial) ? Files.size(partial) : 0;
    if (last != null) {
      throw new HubException(file.path() + ": transfer interrupted after " + have + " of " + sizeText(size)
          + " bytes (" + HubApi.describe(last) + "); run pull again to resume from there", last);
    }
    if (size >= 0 && have != size) {
      Files.deleteIfExists(partial);
      throw new HubException(file.path() + ": got " + have + " bytes, the Hub said " + size + "; the download was discarded");
    }
    Optional<String> mismatch = BlobDigest.mismatch(partial, file.etag());
    if (mismatch.isPresent()) {
      Files.deleteIfExists(partial);
      throw new HubException(file.path() + ": checksum mismatch (" + mismatch.get() + "); the download was discarded");
    }
    Files.move(partial, blob, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** One GET from {@code offset}; appends to the partial file. */
  private void transfer(FileLocation file, Path partial, long offset, PullListener listener) throws IOException {
    HttpResponse<InputStream> response = api.content(file, offset);
    try (InputStream body = response.body()) {
      int status = response.statusCode();
      boolean append;
      if (status == 206 && offset > 0) {
        append = true;
      } else if (status == 200) {
        append = false; // the server ignored the Range: start over
      } else if (status == 416 && offset > 0) {
        return; // nothing past what we have: the size check decides
      } else {
        throw new HubException(file.path() + ": downloading from " + file.content().getHost()
            + " answered HTTP " + status);
      }
      try (FileChannel out = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
        long done = append ? offset : 0;
        byte[] buffer = new byte[1 << 16];
        for (int n; (n = body.read(buffer)) > 0; ) {
          ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, n);
          while (chunk.hasRemaining()) {
            out.write(chunk);
          }
          done += n;
          listener.progressed(file.path(), done);
        }
      }
    }
  }

  private static boolean isComplete(Path blob, long size) throws IOException {
    return Files.isRegularFile(blob) && (size < 0 || Files.size(blob) == size);
  }

  static boolean isDiskFull(IOException e) {
    return e.getMessage() != null && e.getMessage().contains("No space left on device");
  }

  private static String ioCause(IOException e, Path blob) {
    return isDiskFull(e)
        ? "disk full writing to " + blob.getParent() + " (No space left on device); the partial file is kept to resume"
        : "cannot write to the cache at " + blob.getParent() + " (" + HubApi.describe(e) + ")";
  }

  private static String sizeText(long size) {
    return size < 0 ? "?" : Long.toString(size);
  }
}
