package dev.vlm.client.cli;

/**
 * Catches Ctrl-C through a JVM shutdown hook: on SIGINT the JVM runs the hook and exits with
 * status 130 once it returns.
 */
final class ShutdownHookInterrupts implements InterruptHook {
  @Override
  public VlmCli.Registration onInterrupt(Runnable action) {
    Thread hook = new Thread(action, "vlm-interrupt");
    Runtime.getRuntime().addShutdownHook(hook);
    return () -> {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shutdownInProgress) {
        // The hook is running or has run; nothing left to remove.
      }
    };
  }
}
