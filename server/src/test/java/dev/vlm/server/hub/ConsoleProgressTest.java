package dev.vlm.server.hub;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ConsoleProgressTest {
  private static final long SECOND = 1_000_000_000L;
  private static final long MIB = 1 << 20;

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
  private final AtomicLong clock = new AtomicLong();

  @Test
  void aTerminalGetsOneBarPerFileWithRateAndTimeLeft() {
    ConsoleProgress progress = new ConsoleProgress(out, true, clock::get);
    progress.fileStarted("onnx/decoder_model_merged_q4.onnx", 100 * MIB, 0);
    clock.set(2 * SECOND);
    progress.progressed("onnx/decoder_model_merged_q4.onnx", 20 * MIB);
    clock.set(4 * SECOND);
    progress.progressed("onnx/decoder_model_merged_q4.onnx", 40 * MIB);
    progress.fileFinished("onnx/decoder_model_merged_q4.onnx", true);

    String text = bytes.toString(StandardCharsets.UTF_8);
    assertThat(text).contains("\ronnx/decoder_model_merged_q4.onnx [####--------------------]  20% 20.0 MiB/100.0 MiB 10.0 MiB/s ETA 0:08")
        .contains("\ronnx/decoder_model_merged_q4.onnx [#########---------------]  40% 40.0 MiB/100.0 MiB 10.0 MiB/s ETA 0:06")
        .endsWith("100% 100.0 MiB/100.0 MiB 25.0 MiB/s ETA 0:00\n");
  }

  @Test
  void elsewhereItPrintsPlainLinesEveryTenthAndAtTheEnds() {
    ConsoleProgress progress = new ConsoleProgress(out, false, clock::get);
    progress.planned(2, 100 * MIB + 10);
    progress.fileStarted("config.json", 10, 10);
    progress.fileFinished("config.json", false);
    progress.fileStarted("onnx/decoder_model_merged.onnx_data", 100 * MIB, 30 * MIB);
    for (int i = 31; i <= 100; i++) {
      clock.addAndGet(SECOND / 10);
      progress.progressed("onnx/decoder_model_merged.onnx_data", i * MIB);
    }
    progress.fileFinished("onnx/decoder_model_merged.onnx_data", true);

    assertThat(bytes.toString(StandardCharsets.UTF_8).lines().toList()).containsExactly(
        "pulling 2 files, 100.0 MiB",
        "config.json: already in the cache",
        "onnx/decoder_model_merged.onnx_data: resuming at 30.0 MiB of 100.0 MiB",
        "onnx/decoder_model_merged.onnx_data [#########---------------]  40% 40.0 MiB/100.0 MiB 10.0 MiB/s ETA 0:06",
        "onnx/decoder_model_merged.onnx_data [############------------]  50% 50.0 MiB/100.0 MiB 10.0 MiB/s ETA 0:05",
        "onnx/decoder_model_merged.onnx_data [##############----------]  60% 60.0 MiB/100.0 MiB 10.0 MiB/s ETA 0:04",
        "onnx/decoder_model_merged.onnx_data [################--------]  70% 70.0 MiB/100.0 MiB 10.0 MiB/s ETA 0:03",
        "onnx/decoder_model_merged.onnx_data [###################-----]  80% 80.0 MiB/100.0 MiB 10.0 MiB/s ETA 0:02",
        "onnx/decoder_model_merged.onnx_data [#####################---]  90% 90.0 MiB/100.0 MiB 10.0 MiB/s ETA 0:01",
        "onnx/decoder_model_merged.onnx_data: done");
  }
}
