package dev.vlm.server.config;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where a model's files come from: a directory on this host, or a repository on the Hugging Face
 * Hub that is found in (or pulled into) the shared Hugging Face cache.
 */
public sealed interface ModelSource {
  /** The prefix that marks a Hub source in {@code --model} and in the config's {@code path}. */
  String HUB_PREFIX = "hf:";

  /** A model directory on this host. */
  record Directory(Path path) implements ModelSource {
    public Directory {
      Objects.requireNonNull(path, "path");
    }

    @Override
    public String toString() {
      return path.toString();
    }
  }

  /**
   * A Hub repository at a revision, with the export possibly in a subfolder.
   *
   * @param repoId {@code ORG/REPO} (or a bare {@code REPO}, as the Hub's oldest models are named)
   * @param revision a branch, tag or commit; {@code main} when not given
   * @param subfolder the folder inside the repository that holds the export; "" for its root
   */
  record Hub(String repoId, String revision, String subfolder) implements ModelSource {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    public static final String DEFAULT_REVISION = "main";

    public Hub {
      Objects.requireNonNull(repoId, "repoId");
      Objects.requireNonNull(revision, "revision");
      Objects.requireNonNull(subfolder, "subfolder");
      String[] parts = repoId.split("/", -1);
      if (parts.length > 2 || !NAME.matcher(parts[0]).matches()
          || (parts.length == 2 && !NAME.matcher(parts[1]).matches())) {
        throw new IllegalArgumentException("'" + repoId + "' is not a Hub repository id (ORG/REPO)");
      }
      if (revision.isEmpty() || revision.contains("..")) {
        throw new IllegalArgumentException("'" + revision + "' is not a revision");
      }
      for (String segment : subfolder.isEmpty() ? new String[0] : subfolder.split("/", -1)) {
        if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
          throw new IllegalArgumentException("'" + subfolder + "' is not a folder inside a repository");
        }
      }
    }

    /**
     * Parses {@code ORG/REPO[@REVISION][/SUBFOLDER]} (without the {@code hf:} prefix). A revision
     * with a slash, such as {@code refs/pr/3}, is written with {@code %2F}:
     * {@code ORG/REPO@refs%2Fpr%2F3}.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static Hub parse(String text) {
      int slash = text.indexOf('/');
      if (slash <= 0) {
        throw new IllegalArgumentException(
            "'" + HUB_PREFIX + text + "' must name a repository: hf:ORG/REPO[@REVISION][/SUBFOLDER]");
      }
      int end = text.indexOf('/', slash + 1);
      String repoPart = end < 0 ? text : text.substring(0, end);
      String subfolder = end < 0 ? "" : text.substring(end + 1);
      String revision = DEFAULT_REVISION;
      int at = repoPart.indexOf('@');
      if (at >= 0) {
        revision = URLDecoder.decode(repoPart.substring(at + 1), StandardCharsets.UTF_8);
        repoPart = repoPart.substring(0, at);
      }
      return new Hub(repoPart, revision, subfolder);
    }

    /** True when the revision is a full commit hash (nothing to resolve). */
    public boolean pinnedToCommit() {
      return COMMIT.matcher(revision).matches();
    }

    @Override
    public String toString() {
      String rev = revision.equals(DEFAULT_REVISION) ? "" : "@" + revision.replace("/", "%2F");
      return HUB_PREFIX + repoId + rev + (subfolder.isEmpty() ? "" : "/" + subfolder);
    }
  }

  /**
   * Parses a {@code --model} value or config {@code path}: {@code hf:...} is a Hub source, anything
   * else a directory, resolved against {@code base} when relative.
   *
   * @throws IllegalArgumentException if a Hub source is malformed
   */
  static ModelSource parse(String text, Path base) {
    if (text.startsWith(HUB_PREFIX)) {
      return Hub.parse(text.substring(HUB_PREFIX.length()));
    }
    return new Directory(base == null ? Path.of(text) : base.resolve(text).normalize());
  }
}
