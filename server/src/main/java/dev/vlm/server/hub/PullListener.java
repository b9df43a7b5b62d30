package dev.vlm.server.hub;

/**
 * Hears how a pull goes, file by file. Called from the pulling thread only.
 */
public interface PullListener {
  /** The pull will fetch these files, {@code totalBytes} in all (-1 if some sizes are unknown). */
  default void planned(int files, long totalBytes) {}

  /** A file starts: {@code size} bytes (-1 if unknown), {@code done} of them already in the cache or resumed. */
  default void fileStarted(String path, long size, long done) {}

  /** {@code done} bytes of the file are on disk now. */
  default void progressed(String path, long done) {}

  /** The file is complete and verified; {@code downloaded} is false when its blob was already cached. */
  default void fileFinished(String path, boolean downloaded) {}

  /** Hears nothing. */
  PullListener NONE = new PullListener() {};
}
