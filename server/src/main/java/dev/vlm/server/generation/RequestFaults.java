package dev.vlm.server.generation;

/**
 * A point where a failure can be injected into one request's part of an engine step, for tests
 * that check a failure stays with its request. The server runs with {@link #NONE}.
 */
@FunctionalInterface
interface RequestFaults {
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
