package dev.vlm.server.auth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The API keys in force, read from the keys file and re-read when its content changes. A file
 * that cannot be read or parsed keeps the keys in force and logs why, so a bad edit never locks
 * everyone out (and never lets anyone in). Removing an entry revokes that key within one reload
 * interval; calls already running are not cut.
 *
 * <p>Thread-safe: lookups read an immutable snapshot; reloads replace it.
 */
public final class ApiKeys implements AutoCloseable {
  private static final Logger log = Logger.getLogger(ApiKeys.class.getName());

  private final Path file;
  private volatile Map<String, ApiKey> byHash;
  private byte[] lastContent;
  private ScheduledFuture<?> watch;

  private ApiKeys(Path file, byte[] content, Map<String, ApiKey> keys) {
    this.file = file;
    this.lastContent = content;
    this.byHash = keys;
  }

  /**
   * Reads the file once; call {@link #watch} to follow its changes.
   *
   * @throws IllegalArgumentException if it cannot be read or is malformed (naming the problem)
   */
  public static ApiKeys load(Path file) {
    byte[] content;
    try {
      content = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read API keys file " + file + ": " + e, e);
    }
    try {
      return new ApiKeys(file, content, ApiKeysFile.parse(content));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("API keys file " + file + ": " + e.getMessage(), e);
    }
  }

  /** Checks the file every {@code interval} on {@code executor} until {@link #close()}. */
  public synchronized void watch(ScheduledExecutorService executor, Duration interval) {
    if (watch != null) {
      throw new IllegalStateException("already watching " + file);
    }
    watch = executor.scheduleWithFixedDelay(this::reloadIfChanged, interval.toMillis(), interval.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  /**
   * Re-reads the file if its content changed. Comparing content, not the modification time,
   * catches edits within the file system's timestamp granularity and atomic renames alike.
   *
   * @return true if new keys are now in force
   */
  public synchronized boolean reloadIfChanged() {
    byte[] content;
    try {
      content = Files.readAllBytes(file);
    } catch (IOException e) {
      log.warning(() -> "cannot read API keys file " + file + "; keeping the " + byHash.size() + " keys in force: " + e);
      return false;
    }
    if (Arrays.equals(content, lastContent)) {
      return false;
    }
    lastContent = content;
    try {
      Map<String, ApiKey> keys = ApiKeysFile.parse(content);
      byHash = keys;
      log.info(() -> "API keys file " + file + " reloaded: " + keys.size() + " keys");
      return true;
    } catch (IllegalArgumentException e) {
      log.log(Level.WARNING, "API keys file " + file + " is malformed; keeping the " + byHash.size()
          + " keys in force: " + e.getMessage());
      return false;
    }
  }

  /** The entry for a presented key, if it is in force. */
  public Optional<ApiKey> find(String presentedKey) {
    return Optional.ofNullable(byHash.get(ApiKey.sha256Hex(presentedKey)));
  }

  /** How many keys are in force. */
  public int size() {
    return byHash.size();
  }

  /** Stops watching the file. */
  @Override
  public synchronized void close() {
    if (watch != null) {
      watch.cancel(false);
    }
  }
}
