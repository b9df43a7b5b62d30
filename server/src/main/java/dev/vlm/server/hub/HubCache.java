package dev.vlm.server.hub;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The Hugging Face cache layout, exactly as Python's {@code huggingface_hub} writes it, so both
 * share one cache:
 *
 * <pre>
 * CACHE/models--ORG--REPO/
 *   blobs/ETAG                 file contents, named by the sha256 (large files) or git blob sha1
 *   blobs/ETAG.incomplete      a download in progress, never read as a file
 *   refs/REVISION              the commit a branch or tag pointed to when last fetched
 *   snapshots/COMMIT/PATH      relative symlinks into ../../blobs (one more ../ per folder level)
 *   .no_exist/COMMIT/PATH      files known to be absent at that commit
 * CACHE/.locks/models--ORG--REPO/ETAG.lock
 * </pre>
 *
 * Stateless apart from its root; safe to share between threads.
 */
public final class HubCache {
  private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

  private final Path root;

  public HubCache(Path root) {
    this.root = root;
  }

  public Path root() {
    return root;
  }

  /** {@code models--ORG--REPO}, the folder of one repository. */
  public Path repoDir(String repoId) {
    return root.resolve("models--" + repoId.replace("/", "--"));
  }

  public Path blob(String repoId, String etag) {
    return repoDir(repoId).resolve("blobs").resolve(etag);
  }

  /** Where a blob is written until it is complete and verified. */
  public Path incomplete(String repoId, String etag) {
    return repoDir(repoId).resolve("blobs").resolve(etag + ".incomplete");
  }

  public Path lockFile(String repoId, String etag) {
    return root.resolve(".locks").resolve(repoDir(repoId).getFileName()).resolve(etag + ".lock");
  }

  public Path snapshot(String repoId, String commit) {
    return repoDir(repoId).resolve("snapshots").resolve(commit);
  }

  /**
   * The commit a revision stands for in the cache: a full commit hash stands for itself, a branch
   * or tag for what its {@code refs/} file holds.
   */
  public Optional<String> commitOf(String repoId, String revision) {
    if (COMMIT.matcher(revision).matches()) {
      return Optional.of(revision);
    }
    Path ref = repoDir(repoId).resolve("refs").resolve(revision);
    if (!Files.isRegularFile(ref)) {
      return Optional.empty();
    }
    try {
      String commit = Files.readString(ref, StandardCharsets.UTF_8).strip();
      return COMMIT.matcher(commit).matches() ? Optional.of(commit) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Records that {@code revision} points to {@code commit} (nothing to do for a commit itself). */
  public void writeRef(String repoId, String revision, String commit) throws IOException {
    if (revision.equals(commit)) {
      return;
    }
    Path ref = repoDir(repoId).resolve("refs").resolve(revision);
    Files.createDirectories(ref.getParent());
    // huggingface_hub writes the bare commit with no newline; a rename keeps readers from a torn file.
    Path tmp = Files.createTempFile(ref.getParent(), ".ref", ".tmp");
    Files.writeString(tmp, commit, StandardCharsets.UTF_8);
    Files.move(tmp, ref, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * Makes {@code snapshots/COMMIT/PATH} a relative symlink to the blob, replacing what was there,
   * so the file appears in the snapshot only once its blob is complete.
   */
  public Path link(String repoId, String commit, String path, String etag) throws IOException {
    Path file = snapshot(repoId, commit).resolve(path);
    Files.createDirectories(file.getParent());
    Path target = file.getParent().relativize(blob(repoId, etag));
    Path tmp = file.resolveSibling("." + file.getFileName() + ".link");
    Files.deleteIfExists(tmp);
    Files.createSymbolicLink(tmp, target);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return file;
  }
}
