package dev.vlm.client.cli;

import dev.vlm.client.VlmClient;
import io.grpc.ClientInterceptor;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the {@code vlm} command line in this JVM with captured output, as {@link VlmCli#main}
 * does minus {@code System.exit}. It lives in the CLI's package because the CLI's in-process
 * entry point and exit codes are package-private.
 */
public final class InProcessVlm {
  /** The exit code for NOT_FOUND (no such model). */
  public static final int EXIT_NOT_FOUND = ExitCodes.NOT_FOUND;
  /** The exit code for UNAUTHENTICATED and PERMISSION_DENIED. */
  public static final int EXIT_DENIED = ExitCodes.DENIED;

  private InProcessVlm() {}

  /**
   * Runs one command line with the CLI's own client, the one {@code main} uses; Ctrl-C
   * handling is left out.
   *
   * @param out receives stdout
   * @param err receives stderr
   * @param args the command line
   * @return the exit code
   */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    return new VlmCli(VlmClient::connect, action -> () -> {}).execute(out, err, args);
  }

  /**
   * Runs one command line like {@link #run(PrintWriter, PrintWriter, String...)}, but over a
   * plaintext channel to the same target that passes every call through {@code observer}, so a
   * test can see what the CLI puts on the wire.
   *
   * @param observer sees every call the CLI makes
   * @param out receives stdout
   * @param err receives stderr
   * @param args the command line
   * @return the exit code
   * @throws InterruptedException if interrupted while closing the channels
   */
  public static int runObserved(ClientInterceptor observer, PrintWriter out, PrintWriter err, String... args)
      throws InterruptedException {
    List<ManagedChannel> opened = new ArrayList<>();
    ClientFactory clients = (target, options) -> {
      ManagedChannel channel =
          Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).intercept(observer).build();
      opened.add(channel);
      return new VlmClient(channel, options);
    };
    try {
      return new VlmCli(clients, action -> () -> {}).execute(out, err, args);
    } finally {
      // A client wrapping a channel leaves it open; this channel is ours to close.
      for (ManagedChannel channel : opened) {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }
}
