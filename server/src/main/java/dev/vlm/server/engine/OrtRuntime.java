package dev.vlm.server.engine;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import dev.vlm.server.config.Device;
import dev.vlm.server.config.RuntimeSettings;
import dev.vlm.server.model.ModelLoadException;
import java.nio.file.Path;
import java.util.EnumSet;

/**
 * The process's ONNX Runtime: one environment, and sessions opened with the configured device
 * and threads. Thread-safe.
 */
public final class OrtRuntime {
  private final OrtEnvironment env;
  private final RuntimeSettings settings;

  private OrtRuntime(OrtEnvironment env, RuntimeSettings settings) {
    this.env = env;
    this.settings = settings;
  }

  /**
   * @throws IllegalStateException if the settings ask for CUDA and the ONNX Runtime on the
   *     classpath is the CPU build (the message says how to get the GPU build)
   */
  public static OrtRuntime create(RuntimeSettings settings) {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    if (settings.device() == Device.CUDA) {
      EnumSet<OrtProvider> providers = OrtEnvironment.getAvailableProviders();
      if (!providers.contains(OrtProvider.CUDA)) {
        throw new IllegalStateException(
            "--device cuda needs the GPU build of ONNX Runtime, but this server was built with the"
                + " CPU build (available execution providers: "
                + providers
                + "). Build it with: ./mvnw -Pcuda -DskipTests package");
      }
    }
    return new OrtRuntime(env, settings);
  }

  RuntimeSettings settings() {
    return settings;
  }

  OrtEnvironment env() {
    return env;
  }

  /**
   * Opens one graph. External data ({@code .onnx_data}) next to it is found by ONNX Runtime.
   *
   * @throws ModelLoadException naming the file if ONNX Runtime refuses it
   */
  OrtSession open(Path onnxFile) {
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      options.setIntraOpNumThreads(settings.intraOpThreads());
      options.setInterOpNumThreads(settings.interOpThreads());
      if (settings.device() == Device.CUDA) {
        options.addCUDA(settings.cudaDeviceId());
      }
      return env.createSession(onnxFile.toString(), options);
    } catch (OrtException e) {
      throw new ModelLoadException("ONNX Runtime cannot load " + onnxFile + ": " + e.getMessage(), e);
    }
  }
}
