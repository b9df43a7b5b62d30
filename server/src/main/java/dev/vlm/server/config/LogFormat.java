package dev.vlm.server.config;

import java.util.Locale;

/** How the server writes its log lines. */
public enum LogFormat {
  /** One human-readable line per record (the default). */
  TEXT,
  /** One JSON object per line, for log collectors. */
  JSON;

  /**
   * @throws IllegalArgumentException naming the accepted values
   */
  public static LogFormat parse(String text) {
    return switch (text.trim().toLowerCase(Locale.ROOT)) {
      case "text" -> TEXT;
      case "json" -> JSON;
      default -> throw new IllegalArgumentException("log format must be 'text' or 'json', got '" + text + "'");
    };
  }
}
