package dev.vlm.e2e;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the repository and its committed fixtures (testdata/) from any module directory. */
final class TestData {
  private TestData() {}

  /** The repository root: the nearest folder above the working directory holding testdata/models. */
  static Path repoRoot() {
    Path start = Path.of("").toAbsolutePath();
    for (Path dir = start; dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve("testdata").resolve("models"))) {
        return dir;
      }
    }
    throw new IllegalStateException("testdata/ not found above " + start);
  }

  /** A path relative to the repository root, as the golden files and the brief's commands write them. */
  static Path fromRepo(String relative) {
    return repoRoot().resolve(relative);
  }

  /** The tiny random-weight LLaVA fixture. */
  static Path tinyLlava() {
    return fromRepo("testdata/models/tiny-llava");
  }
}
