package dev.vlm.server.metrics;

import java.time.Duration;
import java.util.Objects;

/**
 * Argument checks for the recording methods. A bad value is a bug in the caller; rejecting it
 * keeps it from silently skewing a series that alerts and routing decisions read.
 */
final class Arguments {
  private Arguments() {}

  static String label(String value, String what) {
    Objects.requireNonNull(value, what);
    if (value.isBlank()) {
      throw new IllegalArgumentException(what + " must not be blank");
    }
    return value;
  }

  static double seconds(Duration duration, String what) {
    Objects.requireNonNull(duration, what);
    if (duration.isNegative()) {
      throw new IllegalArgumentException(what + " must not be negative, was " + duration);
    }
    // getSeconds + nanos, not toNanos: toNanos overflows past ~292 years.
    return duration.getSeconds() + duration.getNano() / 1e9;
  }

  static long count(long value, String what) {
    if (value < 0) {
      throw new IllegalArgumentException(what + " must not be negative, was " + value);
    }
    return value;
  }

  static double fraction(double value, String what) {
    if (!(value >= 0 && value <= 1)) { // also rejects NaN
      throw new IllegalArgumentException(what + " must be between 0 and 1, was " + value);
    }
    return value;
  }
}
