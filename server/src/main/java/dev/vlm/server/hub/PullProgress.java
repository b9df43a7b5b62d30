package dev.vlm.server.hub;

/**
 * A pull's progress as others read it while it runs (e.g. {@code GetModel} during a load that
 * downloads): bytes done of the total and the file being fetched. Written by the pulling thread,
 * read by any; each field is read whole, the three together only roughly consistent.
 */
public final class PullProgress implements PullListener {
  private volatile long totalBytes = -1;
  private volatile long finishedBytes;
  private volatile long currentDone;
  private volatile String currentFile = "";

  @Override
  public void planned(int files, long total) {
    totalBytes = total;
  }

  @Override
  public void fileStarted(String path, long size, long done) {
    currentFile = path;
    currentDone = done;
  }

  @Override
  public void progressed(String path, long done) {
    currentDone = done;
  }

  @Override
  public void fileFinished(String path, boolean downloaded) {
    finishedBytes += currentDone;
    currentDone = 0;
    currentFile = "";
  }

  /** Bytes of the model in the cache so far (reused blobs count as soon as they are checked). */
  public long doneBytes() {
    return finishedBytes + currentDone;
  }

  /** Bytes of all files to pull; -1 until the listing is read or if a size is unknown. */
  public long totalBytes() {
    return totalBytes;
  }

  /** The file being fetched now; "" between files. */
  public String currentFile() {
    return currentFile;
  }
}
