package dev.vlm.client.cli;

/** Runs an action when the user interrupts the process (Ctrl-C); tests fire it by hand. */
@FunctionalInterface
interface InterruptHook {
  /**
   * Arranges for {@code action} to run on interrupt until the returned registration is closed.
   * The process ends once the action returns.
   */
  VlmCli.Registration onInterrupt(Runnable action);
}
