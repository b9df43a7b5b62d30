package dev.vlm.client.cli;

import picocli.CommandLine.Option;

/** The {@code -h/--help} option of every subcommand, mixed in with {@code @Mixin}. */
final class HelpOption {
  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help message and exit.")
  private boolean help;
}
