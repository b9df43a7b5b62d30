package dev.vlm.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Locates the repository's committed test fixtures (testdata/) from any module directory. */
public final class TestData {
  private TestData() {}

  /** The testdata/ directory. */
  public static Path root() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null) {
      Path candidate = dir.resolve("testdata");
      if (Files.isDirectory(candidate.resolve("models"))) {
        return candidate;
      }
      dir = dir.getParent();
    }
    throw new IllegalStateException("testdata/ not found above " + Path.of("").toAbsolutePath());
  }

  /** The tiny random-weight LLaVA fixture. */
  public static Path tinyLlava() {
    return root().resolve("models/tiny-llava");
  }

  /**
   * Copies the tiny LLaVA fixture to {@code parent/name}, for tests that break or rename a model
   * directory.
   */
  public static Path copyOfTinyLlava(Path parent, String name) throws IOException {
    return copyOf("tiny-llava", parent, name);
  }

  /** Copies the fixture {@code testdata/models/fixture} to {@code parent/name}. */
  public static Path copyOf(String fixture, Path parent, String name) throws IOException {
    Path source = root().resolve("models").resolve(fixture);
    Path target = parent.resolve(name);
    try (Stream<Path> files = Files.walk(source)) {
      for (Path file : files.toList()) {
        Path out = target.resolve(source.relativize(file).toString());
        if (Files.isDirectory(file)) {
          Files.createDirectories(out);
        } else {
          Files.copy(file, out);
        }
      }
    }
    return target;
  }

  /** A path relative to the repository root, as the golden files record them. */
  public static Path fromRepo(String relative) {
    return root().getParent().resolve(relative);
  }

  public static byte[] bytes(String repoRelative) {
    try {
      return Files.readAllBytes(fromRepo(repoRelative));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
