package dev.vlm.server.hub;

/**
 * A model could not be fetched from the Hub or found in the cache. The message is one line that
 * names the repository or file and the cause; nothing half-written was left where it is read.
 */
public final class HubException extends RuntimeException {
  public HubException(String message) {
    super(message);
  }

  public HubException(String message, Throwable cause) {
    super(message, cause);
  }
}
