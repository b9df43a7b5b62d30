package dev.vlm.client.cli;

import dev.vlm.client.VlmClient;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code vlm model NAME}: everything the server reports about one model. */
@Command(
    name = "model",
    description = "Shows one model: state, memory, source, context size, last load, error.")
final class ModelCommand implements Callable<Integer> {
  @ParentCommand private VlmCli cli;
  @Spec private CommandSpec spec;

  @Mixin private HelpOption help;

  @Parameters(paramLabel = "NAME", description = "The model's name.")
  private String name;

  @Override
  public Integer call() {
    try (VlmClient client = cli.openClient()) {
      spec.commandLine().getOut().print(ModelFormat.details(client.getModel(name)));
    }
    spec.commandLine().getOut().flush();
    return ExitCodes.OK;
  }
}
