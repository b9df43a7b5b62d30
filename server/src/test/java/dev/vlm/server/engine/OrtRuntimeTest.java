package dev.vlm.server.engine;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import dev.vlm.server.config.Device;
import dev.vlm.server.config.RuntimeSettings;
import org.junit.jupiter.api.Test;

class OrtRuntimeTest {
  @Test
  void cudaOnTheCpuBuildFailsWithAnExplanation() {
    assumeFalse(OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA),
        "this build has the CUDA execution provider, so asking for it is valid");
    assertThatThrownBy(() -> OrtRuntime.create(new RuntimeSettings(Device.CUDA, 0, 0, 0)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("GPU build")
        .hasMessageContaining("-Pcuda");
  }
}
