package dev.vlm.server.serving;

import dev.vlm.server.hub.PullProgress;

/**
 * How far a load's pull from the Hub has come.
 *
 * @param doneBytes bytes in the cache so far
 * @param totalBytes bytes of all files to pull; 0 when unknown
 * @param file the file being fetched; "" between files
 */
public record DownloadProgress(long doneBytes, long totalBytes, String file) {
  /** Not downloading. */
  public static final DownloadProgress NONE = new DownloadProgress(0, 0, "");

  static DownloadProgress of(PullProgress progress) {
    return progress == null
        ? NONE
        : new DownloadProgress(progress.doneBytes(), Math.max(0, progress.totalBytes()), progress.currentFile());
  }
}
