package dev.vlm.server.serving;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Sizes a model's weights from its files, before anything is loaded. */
final class ResidentSize {
  private ResidentSize() {}

  /**
   * Bytes of the ONNX graphs and their external data under {@code onnx/}: what the sessions
   * hold as weights once opened.
   */
  static long weightBytes(Path modelDirectory) {
    Path onnx = modelDirectory.resolve("onnx");
    if (!Files.isDirectory(onnx)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(onnx)) {
      return files.filter(Files::isRegularFile)
          .filter(p -> {
            String name = p.getFileName().toString();
            return name.endsWith(".onnx") || name.endsWith(".onnx_data") || name.endsWith(".onnx.data");
          })
          .mapToLong(p -> p.toFile().length())
          .sum();
    } catch (IOException e) {
      return 0;
    }
  }
}
