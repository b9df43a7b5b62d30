package dev.vlm.client.cli;

/** The {@code vlm} command line. */
public final class VlmCli {
  private VlmCli() {}

  public static void main(String[] args) {
    throw new IllegalStateException("not built yet");
  }
}
