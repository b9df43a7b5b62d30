package dev.vlm.client.cli;

import dev.vlm.api.v1.ModelInfo;
import dev.vlm.api.v1.ModelState;
import dev.vlm.client.VlmClient;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code vlm pull NAME}: loads a model on the server ({@code LoadModel}). A server started with
 * {@code residency.allow_download: true} first pulls a Hugging Face model missing from its cache;
 * while it does, the download's progress goes to stderr, read from {@code GetModel}. The loaded
 * model's details go to stdout.
 */
@Command(
    name = "pull",
    description = "Loads a model on the server, which first downloads it from the Hugging Face Hub if it is"
        + " missing from the server's cache and the server allows downloads; shows the download's progress.")
final class PullCommand implements Callable<Integer> {
  private static final long POLL_MILLIS = 200;

  @ParentCommand private VlmCli cli;
  @Spec private CommandSpec spec;

  @Mixin private HelpOption help;

  @Parameters(paramLabel = "NAME", description = "The model's name in the server's configuration.")
  private String name;

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter err = spec.commandLine().getErr();
    try (VlmClient client = cli.openClient()) {
      CompletableFuture<ModelInfo> loading = CompletableFuture.supplyAsync(() -> client.loadModel(name));
      String last = "";
      ModelInfo loaded = null;
      while (loaded == null) {
        try {
          loaded = loading.get(POLL_MILLIS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
          String line = progress(client.getModel(name));
          if (!line.isEmpty() && !line.equals(last)) {
            err.println(line);
            err.flush();
            last = line;
          }
        } catch (ExecutionException e) {
          throw unwrap(e);
        }
      }
      spec.commandLine().getOut().print(ModelFormat.details(loaded));
    } catch (CompletionException e) {
      throw unwrap(e);
    }
    spec.commandLine().getOut().flush();
    return ExitCodes.OK;
  }

  /** {@code NAME: downloading 3.0 MiB of 12.0 MiB (FILE)} while pulling, else empty. */
  private String progress(ModelInfo model) {
    if (model.getState() != ModelState.MODEL_STATE_LOADING || model.getDownloadDoneBytes() == 0) {
      return "";
    }
    return name + ": downloading " + ModelFormat.bytes(model.getDownloadDoneBytes())
        + (model.getDownloadTotalBytes() == 0 ? "" : " of " + ModelFormat.bytes(model.getDownloadTotalBytes()))
        + (model.getDownloadFile().isEmpty() ? "" : " (" + model.getDownloadFile() + ")");
  }

  /** The call's own failure (a gRPC status), so the error reporter maps it to an exit code. */
  private static RuntimeException unwrap(Exception e) {
    Throwable cause = e.getCause() != null ? e.getCause() : e;
    return cause instanceof RuntimeException r ? r : new IllegalStateException(cause);
  }
}
