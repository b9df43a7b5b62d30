package dev.vlm.server.generation;

/**
 * A point where a failure can be injected into one request's part of an engine step, for tests
 * and the soak run (a {@link ModelLoader} subclass supplies it through {@link
 * ModelLoader#faultsFor}). A RuntimeException fails that request alone; an {@link Error} ends the
 * model's loop, as a real one would. The server runs with {@link #NONE}.
 */
@FunctionalInterface
public interface RequestFaults {
  /** Injects nothing. */
  RequestFaults NONE = (stage, requestId) -> {};

  /**
   * Called before each per-request stage of a step on the loop thread; throwing fails that
   * request alone, as a real failure of the stage would.
   *
   * @param stage "encode", "embed" or "sample"
   */
  void before(String stage, String requestId);
}
