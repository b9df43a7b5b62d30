package dev.vlm.server.hub;

import java.net.URI;

/**
 * Where one file's content is and what it must be, from the {@code HEAD} of its {@code resolve}
 * URL.
 *
 * @param path the file's path in the repository
 * @param commit the commit the Hub resolved it at ({@code X-Repo-Commit})
 * @param etag the blob's name in the cache: {@code X-Linked-Etag} (the sha256 of a large file)
 *     or else {@code ETag} (the git blob sha1 of a small one), without quotes
 * @param size its size ({@code X-Linked-Size}, else {@code Content-Length}); -1 if unknown
 * @param content the URL to {@code GET}: the large-file storage a redirect named, or the
 *     resolve URL itself
 * @param sendToken whether the token goes to {@code content} (only while it stays on the Hub's host)
 */
public record FileLocation(String path, String commit, String etag, long size, URI content, boolean sendToken) {}
