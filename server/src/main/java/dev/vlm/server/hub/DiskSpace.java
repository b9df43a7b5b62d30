package dev.vlm.server.hub;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Free bytes where a path is; injected so a test can play a full disk. */
@FunctionalInterface
public interface DiskSpace {
  long usableBytes(Path dir) throws IOException;

  /** The file store's usable space. */
  DiskSpace SYSTEM = dir -> Files.getFileStore(dir).getUsableSpace();
}
