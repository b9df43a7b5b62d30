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

  /**
   * The runtime for another device with the same threads: this one if the device is the same.
   *
   * @throws IllegalStateException if that device is CUDA and this build of ONNX Runtime lacks it
   */
  public OrtRuntime onDevice(Device device) {
    if (device == settings.device()) {
      return this;
    }
    return create(new RuntimeSettings(device, settings.cudaDeviceId(), settings.intraOpThreads(), settings.interOpThreads()));
  }

  /** The device its sessions run on. */
  public Device device() {
    return settings.device();
  }

  /** The GPU index with {@link Device#CUDA}. */
  public int cudaDeviceId() {
    return settings.cudaDeviceId();
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
      // No CPU arena: it grows to the largest activations any request has needed and never gives
      // them back, outside the model's reservation (+134 MB of allocator memory held after a
      // fuzz run over nine tiny models, +13 MB without it; decode speed the same within noise).
      options.setCPUArenaAllocator(false);
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
