package dev.vlm.client.cli;

import dev.vlm.client.ApiKeys;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vlm keys}: helpers for the server's API keys file. */
@Command(name = "keys", description = "Helpers for the server's API keys file.", subcommands = KeysCommand.Hash.class)
final class KeysCommand implements Callable<Integer> {
  @Spec private CommandSpec spec;

  @Mixin private HelpOption help;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return ExitCodes.USAGE;
  }

  /** {@code vlm keys hash}: a new key (or one read from stdin) and its keys-file entry. */
  @Command(
      name = "hash",
      description = {
        "Makes a new random API key and prints it (to stderr) and its keys-file entry (to stdout).",
        "With --stdin, hashes the key read from standard input instead. The server stores only the hash."
      })
  static final class Hash implements Callable<Integer> {
    @Spec private CommandSpec spec;

    @Mixin private HelpOption help;

    @Option(names = "--tenant", paramLabel = "NAME", required = true, description = "The tenant the key acts for.")
    private String tenant;

    @Option(names = "--role", paramLabel = "ROLE", defaultValue = "user",
        description = "user, admin or gateway (default: ${DEFAULT-VALUE}).")
    private String role;

    @Option(names = "--stdin", description = "Hash the key on standard input (first line) instead of making one.")
    private boolean stdin;

    @Override
    public Integer call() throws IOException {
      String normalizedRole = role.toLowerCase(Locale.ROOT);
      if (!normalizedRole.matches("user|admin|gateway")) {
        throw new IllegalArgumentException("--role must be user, admin or gateway, got " + role);
      }
      PrintWriter out = spec.commandLine().getOut();
      String key;
      if (stdin) {
        key = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        if (key == null || key.isBlank()) {
          throw new IllegalArgumentException("--stdin: no key on standard input");
        }
        key = key.strip();
      } else {
        key = ApiKeys.newKey();
        spec.commandLine().getErr().println("new API key (give it to the client; it is not stored anywhere): " + key);
        spec.commandLine().getErr().flush();
      }
      out.println(ApiKeys.entry(key, tenant, normalizedRole));
      out.flush();
      return ExitCodes.OK;
    }
  }
}
