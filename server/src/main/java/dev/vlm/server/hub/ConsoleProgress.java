package dev.vlm.server.hub;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Shows a pull on a console: on a terminal one bar per file, redrawn in place (bytes, rate,
 * time left); otherwise plain lines (a line when a file starts, every 10% of a large file, and
 * when it ends), which logs and CI read well. Single-threaded, like the pull it hears.
 */
public final class ConsoleProgress implements PullListener {
  private static final long REDRAW_NANOS = 100_000_000L;
  private static final int BAR = 24;

  private final PrintStream out;
  private final boolean terminal;
  private final LongSupplier nanoTime;
  private long size;
  private long startDone;
  private long startNanos;
  private long lastDrawNanos;
  private int lastDecile;

  /**
   * @param terminal whether {@code out} is a terminal that understands carriage returns
   * @param nanoTime the clock (injected so tests see fixed rates)
   */
  public ConsoleProgress(PrintStream out, boolean terminal, LongSupplier nanoTime) {
    this.out = out;
    this.terminal = terminal;
    this.nanoTime = nanoTime;
  }

  /** Standard error, as a bar when the process has a terminal. */
  public static ConsoleProgress onStandardError() {
    return new ConsoleProgress(System.err, System.console() != null && System.console().isTerminal(), System::nanoTime);
  }

  @Override
  public void planned(int files, long totalBytes) {
    out.println("pulling " + files + " files" + (totalBytes >= 0 ? ", " + bytes(totalBytes) : ""));
  }

  @Override
  public void fileStarted(String path, long size, long done) {
    this.size = size;
    this.startDone = done;
    this.startNanos = nanoTime.getAsLong();
    this.lastDrawNanos = 0;
    this.lastDecile = size > 0 ? (int) (done * 10 / size) : 0;
    boolean cached = size >= 0 && done >= size; // its finish line says so
    if (!terminal && !cached) {
      out.println(path + ": " + (done > 0 ? "resuming at " + bytes(done) + " of " : "") + (size >= 0 ? bytes(size) : "size unknown"));
    }
  }

  @Override
  public void progressed(String path, long done) {
    long now = nanoTime.getAsLong();
    if (terminal) {
      if (now - lastDrawNanos >= REDRAW_NANOS) {
        lastDrawNanos = now;
        out.print("\r" + line(path, done, now));
        out.flush();
      }
    } else if (size > 0) {
      int decile = (int) (done * 10 / size);
      if (decile > lastDecile && decile < 10) {
        lastDecile = decile;
        out.println(line(path, done, now));
      }
    }
  }

  @Override
  public void fileFinished(String path, boolean downloaded) {
    String what = downloaded ? "done" : "already in the cache";
    if (terminal && downloaded) {
      out.print("\r" + line(path, size, nanoTime.getAsLong()) + "\n");
    } else {
      out.println(path + ": " + what);
    }
  }

  /** {@code path [#####-----] 45% 12.3 MiB/27.4 MiB 5.1 MiB/s ETA 0:03}. */
  String line(String path, long done, long now) {
    StringBuilder s = new StringBuilder(path).append(' ');
    if (size > 0) {
      int filled = (int) Math.min(BAR, done * BAR / size);
      s.append('[').append("#".repeat(filled)).append("-".repeat(BAR - filled)).append("] ")
          .append(String.format(Locale.ROOT, "%3d%% ", done * 100 / size));
    }
    s.append(bytes(done)).append(size >= 0 ? "/" + bytes(size) : "");
    double seconds = (now - startNanos) / 1e9;
    if (seconds > 0 && done > startDone) {
      double rate = (done - startDone) / seconds;
      s.append(' ').append(bytes((long) rate)).append("/s");
      if (size > 0) {
        long eta = (long) Math.ceil((size - done) / rate);
        s.append(String.format(Locale.ROOT, " ETA %d:%02d", eta / 60, eta % 60));
      }
    }
    return s.toString();
  }

  static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = n;
    int unit = -1;
    while (v >= 1024 && unit < units.length - 1) {
      v /= 1024;
      unit++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[unit]);
  }
}
