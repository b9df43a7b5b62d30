package dev.vlm.server.serving;

import dev.vlm.server.config.Device;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/** Measures the memory a default budget is a share of: physical RAM, or the GPU's memory. */
public final class DeviceMemory {
  private static final Logger log = Logger.getLogger(DeviceMemory.class.getName());
  /** RAM also holds the JVM heap, the tokenizers and the OS's page cache of the weights. */
  private static final double CPU_SHARE = 0.75;
  /** GPU memory also holds the CUDA context and cuDNN/cuBLAS workspaces. */
  private static final double CUDA_SHARE = 0.90;

  private DeviceMemory() {}

  /**
   * The default memory budget: 75% of physical memory less the Java heap's maximum on CPU (see
   * {@link #cpuBudget}), 90% of the GPU's memory on CUDA (read with {@code nvidia-smi}; if that
   * fails, the CPU rule with a warning).
   */
  public static long defaultBudget(Device device, int cudaDeviceId) {
    if (device == Device.CUDA) {
      long gpu = gpuTotalBytes(cudaDeviceId);
      if (gpu > 0) {
        return (long) (gpu * CUDA_SHARE);
      }
      log.warning("cannot read GPU " + cudaDeviceId + "'s memory with nvidia-smi; the memory budget defaults to "
          + Math.round(CPU_SHARE * 100) + "% of RAM. Set --memory-budget.");
    }
    return cpuBudget(physicalBytes(), Runtime.getRuntime().maxMemory());
  }

  /**
   * 75% of RAM less the Java heap's maximum, which lives in the same RAM: heap plus budget then
   * stay within three quarters of it, leaving the rest to the JVM's own native memory and the
   * page cache. Never below a quarter of RAM, so a JVM with a heap set too large still serves.
   */
  static long cpuBudget(long physicalBytes, long maxHeapBytes) {
    long budget = (long) (physicalBytes * CPU_SHARE) - maxHeapBytes;
    return Math.max(budget, physicalBytes / 4);
  }

  private static long physicalBytes() {
    var os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      return sun.getTotalMemorySize();
    }
    return Runtime.getRuntime().maxMemory();
  }

  private static long gpuTotalBytes(int deviceId) {
    try {
      Process p = new ProcessBuilder(
              "nvidia-smi", "--query-gpu=memory.total", "--format=csv,noheader,nounits", "-i", Integer.toString(deviceId))
          .redirectErrorStream(true)
          .start();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return 0;
      }
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      return p.exitValue() == 0 ? Long.parseLong(out.lines().findFirst().orElse("0").trim()) << 20 : 0;
    } catch (IOException | NumberFormatException e) {
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
  }
}
