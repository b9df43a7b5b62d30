package dev.vlm.server.text;

/**
 * Keeps DJL's tokenizer binding away from the network.
 *
 * <p>Without these properties DJL pings a telemetry endpoint on every tokenizer creation and, on
 * a machine with CUDA, tries to download a CUDA build of its native library instead of using the
 * CPU build bundled in the jar. Offline mode makes it use the bundled CPU build. DJL reads these
 * settings from the environment first: a DJL_OFFLINE=false or OPT_OUT_TRACKING=false environment
 * variable set on purpose still wins.
 */
final class DjlOffline {
  private DjlOffline() {}

  /** Must run before the first DJL tokenizer class is initialised; repeated calls are harmless. */
  static void ensure() {
    System.setProperty("ai.djl.offline", "true");
    System.setProperty("OPT_OUT_TRACKING", "true");
  }
}
