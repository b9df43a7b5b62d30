package dev.vlm.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm.client.FakeVlmServer;
import dev.vlm.client.VlmClient;
import dev.vlm.client.bench.BenchReport;
import io.grpc.ManagedChannel;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchCommandTest {
  private FakeVlmServer server;
  private ManagedChannel channel;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @BeforeEach
  void start() throws Exception {
    server = FakeVlmServer.inProcess();
    channel = server.newChannel();
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow();
    server.close();
  }

  private int run(String... args) {
    return new VlmCli((target, options) -> new VlmClient(channel, options), action -> () -> {})
        .execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
  }

  @Test
  void benchPrintsATableAndWritesJson(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("report.json");

    int exitCode = run("bench", "-m", "tiny", "-c", "3", "-n", "20", "--json", json.toString());

    assertThat(exitCode).as(err.toString()).isZero();
    assertThat(out.toString()).contains("closed loop, concurrency 3", "TTFT", "TPOT", "E2E");
    BenchReport report = BenchReport.fromJson(Files.readString(json));
    assertThat(report.completed()).isEqualTo(20);
    assertThat(report.outputTokens()).isEqualTo(20L * FakeVlmServer.DELTAS.size());
    assertThat(err.toString()).contains("20/20 req");
  }

  @Test
  void allFailedExitsWithTheStatusCode() {
    int exitCode = run("bench", "-m", "fail-NOT_FOUND", "-r", "100", "-d", "200ms");

    assertThat(exitCode).isEqualTo(ExitCodes.NOT_FOUND);
    assertThat(out.toString()).contains("NOT_FOUND", "open loop");
  }

  @Test
  void badSpecIsAUsageError(@TempDir Path dir) throws Exception {
    Path spec = Files.writeString(dir.resolve("s.json"), "[{\"prompt\": \"x\", \"output\": 0}]");

    int exitCode = run("bench", "-m", "m", "--spec", spec.toString());

    assertThat(exitCode).isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains("classes[0].output");
  }

  @Test
  void concurrencyAndRateExcludeEachOther() {
    assertThat(run("bench", "-m", "m", "-c", "2", "-r", "3")).isEqualTo(ExitCodes.USAGE);
    assertThat(run("bench", "-m", "m", "-r", "0")).isEqualTo(ExitCodes.USAGE);
  }
}
