package dev.vlm.server.serving;

/** Lifecycle of a configured model. */
public enum ModelState {
  /** Configured and valid, not in memory. */
  AVAILABLE,
  /** Being loaded; requests wait for it. */
  LOADING,
  /** In memory and serving. */
  LOADED,
  /** Being released. */
  UNLOADING,
  /** Could not be loaded; see the error. */
  FAILED
}
