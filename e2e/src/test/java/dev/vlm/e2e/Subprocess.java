package dev.vlm.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** Runs a command to its end, or kills it at a time limit, capturing its output. */
final class Subprocess {
  /**
   * How a command ended.
   *
   * @param exitCode its exit status
   * @param stdout what it wrote to stdout, read as UTF-8
   * @param stderr what it wrote to stderr, read as UTF-8
   */
  record Result(int exitCode, String stdout, String stderr) {
    /** For assertion messages: everything the command said. */
    String describe() {
      return "exit " + exitCode + "\n--- stdout ---\n" + stdout + "\n--- stderr ---\n" + stderr;
    }
  }

  private Subprocess() {}

  /**
   * Runs {@code command} in {@code directory}.
   *
   * @param environment adjusts the inherited environment before the start
   * @throws IOException if the command cannot be started
   * @throws IllegalStateException if it runs past {@code timeout} (it is killed)
   */
  static Result run(List<String> command, Path directory, Duration timeout, Consumer<Map<String, String>> environment)
      throws IOException, InterruptedException {
    // Files, not pipes: a chatty command can never block on a full pipe nobody reads.
    Path stdout = Files.createTempFile("e2e-stdout", ".txt");
    Path stderr = Files.createTempFile("e2e-stderr", ".txt");
    try {
      ProcessBuilder builder =
          new ProcessBuilder(command).directory(directory.toFile())
              .redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
      environment.accept(builder.environment());
      Process process = builder.start();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        throw new IllegalStateException(command + " ran past " + timeout + "; killed. stderr so far:\n"
            + Files.readString(stderr, StandardCharsets.UTF_8));
      }
      return new Result(process.exitValue(), Files.readString(stdout, StandardCharsets.UTF_8),
          Files.readString(stderr, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(stdout);
      Files.deleteIfExists(stderr);
    }
  }
}
