package dev.vlm.server.hub;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A repository at one commit: what {@code GET /api/models/{repo}/revision/{revision}} returns
 * ({@code sha} and {@code siblings[].rfilename}, with sizes when asked for {@code blobs}).
 *
 * @param repoId {@code ORG/REPO}
 * @param commit the full commit hash the revision resolved to
 * @param files every file, by path
 */
public record RepoListing(String repoId, String commit, Map<String, RepoFile> files) {
  public RepoListing {
    files = Map.copyOf(files);
  }

  static RepoListing of(String repoId, String commit, List<RepoFile> files) {
    return new RepoListing(repoId, commit, files.stream().collect(Collectors.toMap(RepoFile::path, Function.identity())));
  }

  public boolean has(String path) {
    return files.containsKey(path);
  }
}
