package dev.vlm.client.cli;

import dev.vlm.api.v1.ModelInfo;
import dev.vlm.api.v1.ModelState;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Renders models for people: a table for {@code vlm models}, a field list for {@code vlm model}. */
final class ModelFormat {
  private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB"};
  private static final String COLUMN_GAP = "  ";

  private ModelFormat() {}

  /** One row per model under the header NAME FAMILY STATE RESERVED ERROR, columns aligned. */
  static String table(List<ModelInfo> models) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"NAME", "FAMILY", "STATE", "RESERVED", "ERROR"});
    for (ModelInfo model : models) {
      rows.add(
          new String[] {
            model.getName(),
            orDash(model.getFamily()),
            state(model.getState()),
            model.getReservedBytes() == 0 ? "-" : bytes(model.getReservedBytes()),
            oneLine(model.getError()),
          });
    }
    int[] widths = new int[rows.getFirst().length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    StringBuilder table = new StringBuilder();
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < row.length; i++) {
        line.append(i == row.length - 1 ? row[i] : pad(row[i], widths[i]) + COLUMN_GAP);
      }
      table.append(line.toString().stripTrailing()).append('\n');
    }
    return table.toString();
  }

  /** One {@code field: value} line per property of {@code model}. */
  static String details(ModelInfo model) {
    StringBuilder text = new StringBuilder();
    field(text, "name", model.getName());
    field(text, "family", orDash(model.getFamily()));
    field(text, "state", state(model.getState()));
    field(
        text,
        "reserved",
        model.getReservedBytes() == 0
            ? "-"
            : bytes(model.getReservedBytes())
                + " ("
                + Long.toUnsignedString(model.getReservedBytes())
                + " bytes)");
    field(
        text,
        "max context",
        model.getMaxContextTokens() == 0
            ? "-"
            : Integer.toUnsignedString(model.getMaxContextTokens()) + " tokens");
    field(text, "source", orDash(model.getSource()));
    field(
        text,
        "last load",
        model.getLastLoadMillis() == 0
            ? "never"
            : Long.toUnsignedString(model.getLastLoadMillis()) + " ms");
    if (model.getDownloadTotalBytes() != 0 || model.getDownloadDoneBytes() != 0) {
      // A LOADING Hub model being pulled into the server's cache.
      field(text, "download", bytes(model.getDownloadDoneBytes())
          + (model.getDownloadTotalBytes() == 0 ? "" : " of " + bytes(model.getDownloadTotalBytes()))
          + (model.getDownloadFile().isEmpty() ? "" : " (" + model.getDownloadFile() + ")"));
    }
    if (!model.getError().isEmpty()) {
      field(text, "error", oneLine(model.getError()));
    }
    return text.toString();
  }

  /** The state without the enum prefix, e.g. LOADED. */
  static String state(ModelState state) {
    return state == ModelState.UNRECOGNIZED
        ? "UNKNOWN"
        : state.name().replaceFirst("^MODEL_STATE_", "");
  }

  /** A byte count in binary units with one decimal, e.g. {@code 1.5 GiB}. */
  static String bytes(long bytes) {
    // reserved_bytes is uint64: read it unsigned.
    double value = bytes >= 0 ? bytes : (bytes >>> 1) * 2.0;
    int unit = 0;
    while (value >= 1024 && unit < UNITS.length - 1) {
      value /= 1024;
      unit++;
    }
    return unit == 0
        ? Long.toUnsignedString(bytes) + " B"
        : String.format(Locale.ROOT, "%.1f %s", value, UNITS[unit]);
  }

  private static void field(StringBuilder text, String name, String value) {
    text.append(pad(name + ":", 13)).append(value).append('\n');
  }

  private static String pad(String text, int width) {
    return text + " ".repeat(Math.max(0, width - text.length()));
  }

  private static String orDash(String text) {
    return text.isEmpty() ? "-" : text;
  }

  private static String oneLine(String text) {
    return text.replaceAll("\\s*\\R\\s*", " ").strip();
  }
}
