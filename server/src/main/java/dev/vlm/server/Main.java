package dev.vlm.server;

/** Entry point of the server: parses flags, starts gRPC, waits for shutdown. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    throw new IllegalStateException("not built yet");
  }
}
