package dev.vlm.server;

import java.util.logging.LogManager;

/**
 * A {@link LogManager} that keeps logging on until the server's own shutdown hook is done.
 * The JDK's manager closes every handler from a shutdown hook of its own, which runs alongside
 * ours, so the lines that say how shutdown went would otherwise be lost. Installed by {@link
 * Main} through the {@code java.util.logging.manager} system property.
 */
public final class ServerLogManager extends LogManager {
  private static volatile boolean holding;

  /** Public so the JDK can create it by name. */
  public ServerLogManager() {}

  /** From now on, resets wait for {@link #release()}. */
  static void holdUntilReleased() {
    holding = true;
  }

  /** Lets the deferred reset happen, closing the handlers. */
  static void release() {
    holding = false;
    LogManager.getLogManager().reset();
  }

  @Override
  public void reset() {
    if (!holding) {
      super.reset();
    }
  }
}
