package dev.vlm.server.serving;

/** A model needs more than the whole memory budget: no eviction can make it fit. */
final class TooLargeForBudgetException extends RuntimeException {
  TooLargeForBudgetException(String message) {
    super(message);
  }
}
