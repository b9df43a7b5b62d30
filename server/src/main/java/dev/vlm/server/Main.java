package dev.vlm.server;

import dev.vlm.server.config.ConfigLoader;
import dev.vlm.server.config.ServerConfig;
import dev.vlm.server.hub.ConsoleProgress;
import dev.vlm.server.hub.HubException;
import dev.vlm.server.hub.ModelPuller;
import dev.vlm.server.model.WeightTypes;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Logger;

/**
 * Entry point: {@code java -jar vlm-server.jar [--config FILE] [--model NAME=DIR]... [--port N]
 * [--http-port N] [--log-format text|json]}.
 * Without models it serves the bundled demo model. SIGTERM or Ctrl-C shuts down gracefully.
 * {@code pull ORG/REPO [--revision R] [--dtype D]} fills the Hugging Face cache and exits.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    // Before anything touches java.util.logging: the manager is chosen once, at first use.
    System.setProperty("java.util.logging.manager", ServerLogManager.class.getName());
    System.setProperty(
        "java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tL %4$s %3$s: %5$s%6$s%n");
    Logger log = Logger.getLogger(Main.class.getName());
    ServerConfig config;
    try {
      switch (ConfigLoader.load(args)) {
        case ConfigLoader.Outcome.Exit exit -> {
          System.exit(exit.code());
          return;
        }
        case ConfigLoader.Outcome.Pull pull -> {
          System.exit(pull(pull));
          return;
        }
        case ConfigLoader.Outcome.Run run -> config = run.config();
      }
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      System.err.println("run with --help for usage");
      System.exit(2);
      return;
    }
    ServerLogManager.useFormat(config.logFormat());
    if (config.models().isEmpty()) {
      config = config.withModels(List.of(DemoModel.materialize()));
      log.info("no models configured; serving the bundled demo model '" + DemoModel.NAME
          + "' (random weights: its output is gibberish)");
    }
    VlmServer server;
    try {
      server = VlmServer.start(config);
    } catch (Exception e) {
      System.err.println("error: cannot start: " + e.getMessage());
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    ServerLogManager.holdUntilReleased();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
      ServerLogManager.release();
    }, "shutdown"));
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Runs {@code pull}: progress on standard error, the model directory on standard output. */
  private static int pull(ConfigLoader.Outcome.Pull pull) {
    try {
      Path dir = new ModelPuller(pull.hub()).pull(pull.source(), pull.weights(), ConsoleProgress.onStandardError());
      System.out.println(dir);
      String dtype = pull.weights().equals(WeightTypes.fp32()) ? "" : " --dtype NAME=" + pull.weights();
      System.err.println("pulled; serve it with: vlm-server --model NAME=" + pull.source() + dtype);
      return 0;
    } catch (HubException e) {
      System.err.println("error: " + e.getMessage());
      return 1;
    }
  }
}
