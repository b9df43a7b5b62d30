package dev.vlm.server;

import dev.vlm.server.config.LogFormat;
import dev.vlm.server.logging.JsonLogFormatter;
import java.util.logging.Handler;
import java.util.logging.LogManager;
import java.util.logging.Logger;

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

  /**
   * Switches the root logger's handlers to {@code format}: JSON gives one object per line with
   * each record's request id, tenant and model where it has them; text keeps the one-line format
   * {@link Main} sets up.
   */
  static void useFormat(LogFormat format) {
    if (format == LogFormat.JSON) {
      for (Handler handler : Logger.getLogger("").getHandlers()) {
        handler.setFormatter(new JsonLogFormatter());
      }
    }
  }

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
