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
import java.util.concurrent.atomic.AtomicReference;

/**
 * The process's ONNX Runtime: one environment, and sessions opened with the configured device
 * and threads. Thread-safe.
 */
public final class OrtRuntime {
  /** Reserved, not committed: the kernel backs only the pages the recursion touches. */
  private static final long INIT_STACK_BYTES = 64L << 20;
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
    OrtEnvironment env = environment();
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
   * The process's environment, created on a thread with a large stack: ONNX Runtime's start-up
   * recurses in proportion to the length of the JVM's command line (a 9 KB {@code -cp}, as launch
   * scripts listing every jar pass, or a 9 KB {@code -D} value; a long environment variable does
   * not), overflows a default 1 MB Java thread stack in native code, and the JVM dies with
   * SIGSEGV and no error report.
   */
  private static OrtEnvironment environment() {
    AtomicReference<Object> result = new AtomicReference<>();
    Thread starter = Thread.ofPlatform().name("ort-environment").stackSize(INIT_STACK_BYTES).start(() -> {
      try {
        result.set(OrtEnvironment.getEnvironment());
      } catch (RuntimeException | Error e) {
        result.set(e);
      }
    });
    try {
      starter.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while ONNX Runtime starts", e);
    }
    return switch (result.get()) {
      case OrtEnvironment env -> env;
      case RuntimeException e -> throw e;
      case Error e -> throw e;
      default -> throw new IllegalStateException("ONNX Runtime did not start");
    };
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
