package dev.vlm.client.cli;

import dev.vlm.client.VlmClient;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code vlm models}: the server's models as a table. */
@Command(
    name = "models",
    description = "Lists the models the server serves: NAME FAMILY STATE RESERVED ERROR.")
final class ModelsCommand implements Callable<Integer> {
  @ParentCommand private VlmCli cli;
  @Spec private CommandSpec spec;

  @Mixin private HelpOption help;

  @Override
  public Integer call() {
    try (VlmClient client = cli.openClient()) {
      spec.commandLine().getOut().print(ModelFormat.table(client.listModels()));
    }
    spec.commandLine().getOut().flush();
    return ExitCodes.OK;
  }
}
