package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Memory that really comes back, in CI: runs {@link LoadUnloadCycles} (50 cycles of loading
 * three models, one request each, unloading them; resident memory after every cycle within 10% of
 * the first, no explicit GC) in a JVM of its own, since the reading needs a fixed, pre-touched
 * heap and a process that nothing else has used. About 30 seconds.
 */
class LoadUnloadCyclesTest {
  @Test
  void residentMemoryStaysWithinTenPercentOverFiftyCycles() throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    ProcessBuilder builder = new ProcessBuilder(List.of(java.toString(), "-Xms256m", "-Xmx256m",
        "-XX:+AlwaysPreTouch", "--enable-native-access=ALL-UNNAMED", "-cp",
        System.getProperty("java.class.path"), LoadUnloadCycles.class.getName(), "50"))
        .redirectErrorStream(true)
        .redirectOutput(new File("target/load-unload-cycles.log"));
    builder.environment().put("MALLOC_ARENA_MAX", "2"); // as deploy/entrypoint.sh sets it
    Process process = builder.start();
    boolean ended = process.waitFor(10, TimeUnit.MINUTES);
    if (!ended) {
      process.destroyForcibly();
    }
    String log = Files.readString(Path.of("target/load-unload-cycles.log"));
    String verdict = log.lines().filter(line -> line.startsWith("cycles ")).findFirst().orElse(log);
    System.out.println("load/unload " + verdict);
    assertThat(ended).as("the cycles ended within 10 minutes").isTrue();
    assertThat(process.exitValue()).as(verdict).isZero();
    assertThat(verdict).startsWith("cycles 50 of");
  }
}
