package dev.vlm.server;

import dev.vlm.server.config.ModelSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The model served when none is configured: a tiny LLaVA with random weights, bundled in the
 * server jar so that a fresh build serves something at once. ONNX Runtime reads models from
 * files, so the bundle is copied to a temporary directory first.
 */
final class DemoModel {
  static final String NAME = "tiny-llava";
  private static final String RESOURCE = "/demo-model/" + NAME;

  private DemoModel() {}

  /**
   * @throws UncheckedIOException if the bundle is missing or cannot be copied
   */
  static ModelSpec materialize() {
    URL url = DemoModel.class.getResource(RESOURCE + "/config.json");
    if (url == null) {
      throw new UncheckedIOException(new IOException("the demo model is not bundled in this build"));
    }
    try {
      Path target = Files.createTempDirectory("vlm-demo-model-");
      target.toFile().deleteOnExit();
      URI uri = url.toURI();
      if ("jar".equals(uri.getScheme())) {
        try (FileSystem jar = FileSystems.newFileSystem(uri, Map.of())) {
          copyTree(jar.getPath(RESOURCE), target);
        }
      } else {
        copyTree(Path.of(uri).getParent(), target);
      }
      return new ModelSpec(NAME, target, Optional.empty());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot unpack the demo model", e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void copyTree(Path source, Path target) throws IOException {
    List<Path> files;
    try (Stream<Path> walk = Files.walk(source)) {
      files = walk.filter(Files::isRegularFile).toList();
    }
    for (Path file : files) {
      Path out = target.resolve(source.relativize(file).toString());
      Files.createDirectories(out.getParent());
      Files.copy(file, out, StandardCopyOption.REPLACE_EXISTING);
      out.toFile().deleteOnExit();
      out.getParent().toFile().deleteOnExit();
    }
  }
}
