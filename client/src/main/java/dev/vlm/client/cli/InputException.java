package dev.vlm.client.cli;

/** A problem with what the command line asked for, reported as a usage error. */
final class InputException extends RuntimeException {
  InputException(String message) {
    super(message);
  }
}
