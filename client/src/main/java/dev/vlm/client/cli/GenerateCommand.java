package dev.vlm.client.cli;

import dev.vlm.api.v1.FinishReason;
import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.Image;
import dev.vlm.client.ChatRequestBuilder;
import dev.vlm.client.Images;
import dev.vlm.client.RawRequestBuilder;
import dev.vlm.client.RequestBuilder;
import dev.vlm.client.Requests;
import dev.vlm.client.ResponseStream;
import dev.vlm.client.VlmClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code vlm generate}: streams a generation to stdout as it arrives. */
@Command(
    name = "generate",
    description = {
      "Generates text from a prompt and images, printing it as it arrives.",
      "By default the prompt becomes a user message (after the images) rendered with the"
          + " model's chat template. With --raw it is sent as is, and must hold the model's"
          + " image placeholder (for LLaVA <image>) once per --image.",
    })
final class GenerateCommand implements Callable<Integer> {
  @ParentCommand private VlmCli cli;
  @Spec private CommandSpec spec;

  @Mixin private HelpOption help;

  @Option(
      names = {"-m", "--model"},
      required = true,
      paramLabel = "MODEL",
      description = "The model to use (see 'vlm models').")
  private String model;

  @Option(
      names = {"-i", "--image"},
      paramLabel = "FILE",
      description = "An image file (PNG, JPEG, BMP, GIF). Repeat for several, in order.")
  private List<Path> imageFiles = new ArrayList<>();

  @Option(names = "--system", paramLabel = "TEXT", description = "A system message first.")
  private String system;

  @Option(
      names = {"-n", "--max-tokens"},
      paramLabel = "N",
      description = "The most tokens to generate.")
  private Integer maxTokens;

  @Option(names = "--temperature", paramLabel = "T", description = "0 is greedy decoding.")
  private Float temperature;

  @Option(names = "--top-p", paramLabel = "P", description = "Nucleus sampling, in (0, 1].")
  private Float topP;

  @Option(names = "--top-k", paramLabel = "K", description = "Keep the K likeliest tokens.")
  private Integer topK;

  @Option(
      names = "--seed",
      paramLabel = "S",
      converter = UnsignedLongConverter.class,
      description = "Sampler seed, for repeatable output.")
  private Long seed;

  @Option(
      names = "--repetition-penalty",
      paramLabel = "R",
      description = "Above 1 discourages repeating tokens.")
  private Float repetitionPenalty;

  @Option(
      names = "--stop",
      paramLabel = "STR",
      description = "Stop when the output contains STR (repeatable; \\n and \\t are understood).")
  private List<String> stops = new ArrayList<>();

  @Option(names = "--ignore-eos", description = "Keep generating past end-of-sequence.")
  private boolean ignoreEos;

  @Option(names = "--raw", description = "Send the prompt as is, without the chat template.")
  private boolean raw;

  @Option(names = "--request-id", paramLabel = "ID", description = "Id for the server's logs.")
  private String requestId;

  @Option(
      names = {"-v", "--verbose"},
      description = "Print finish reason, token counts and timing to stderr.")
  private boolean verbose;

  @Parameters(
      arity = "1..*",
      paramLabel = "PROMPT",
      description = "The prompt; several words are joined with spaces.")
  private List<String> promptWords;

  @Override
  public Integer call() {
    GenerateRequest request = buildRequest();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    long startNanos = System.nanoTime();
    long firstTokenNanos = -1;
    GenerateResponse last = null;
    try (VlmClient client = cli.openClient();
        ResponseStream stream = client.stream(request);
        VlmCli.Registration onCtrlC = cli.whenInterrupted(stream::cancel)) {
      boolean lineStarted = false;
      boolean streamEnded = false;
      try {
        while (stream.hasNext()) {
          last = stream.next();
          if (firstTokenNanos < 0 && last.getTokenIdsCount() > 0) {
            firstTokenNanos = System.nanoTime();
          }
          if (!last.getText().isEmpty()) {
            out.print(last.getText());
            out.flush();
            lineStarted = true;
          }
        }
        streamEnded = true;
      } finally {
        // End the output with a newline, also after a failure cut the text short.
        if (streamEnded || lineStarted) {
          out.println();
          out.flush();
        }
      }
    }
    if (verbose) {
      err.println(summary(last, startNanos, firstTokenNanos));
      err.flush();
    }
    if (last != null && last.getFinishReason() == FinishReason.FINISH_REASON_CANCELLED) {
      err.println("error: the server cancelled the generation before it finished");
      err.flush();
      return ExitCodes.UNAVAILABLE;
    }
    return ExitCodes.OK;
  }

  private GenerateRequest buildRequest() {
    String prompt = String.join(" ", promptWords);
    Image[] images = imageFiles.stream().map(GenerateCommand::readImage).toArray(Image[]::new);
    if (raw) {
      if (system != null) {
        throw new InputException("--system cannot be used with --raw; put it in the prompt");
      }
      RawRequestBuilder builder = Requests.raw(model, prompt).images(images);
      return withSampling(builder).build();
    }
    ChatRequestBuilder builder = Requests.chat(model);
    if (system != null) {
      builder.system(system);
    }
    builder.user(prompt, images);
    return withSampling(builder).build();
  }

  private <B extends RequestBuilder<B>> B withSampling(B builder) {
    if (maxTokens != null) {
      builder.maxNewTokens(maxTokens);
    }
    if (temperature != null) {
      builder.temperature(temperature);
    }
    if (topP != null) {
      builder.topP(topP);
    }
    if (topK != null) {
      builder.topK(topK);
    }
    if (seed != null) {
      builder.seed(seed);
    }
    if (repetitionPenalty != null) {
      builder.repetitionPenalty(repetitionPenalty);
    }
    for (String stop : stops) {
      builder.stop(unescape(stop));
    }
    if (requestId != null) {
      builder.requestId(requestId);
    }
    return builder.ignoreEos(ignoreEos);
  }

  private static Image readImage(Path file) {
    try {
      return Images.fromFile(file);
    } catch (NoSuchFileException e) {
      throw new InputException("image file not found: " + file);
    } catch (IOException e) {
      throw new InputException("cannot read image file " + file + ": " + e.getMessage());
    }
  }

  /** Lets a shell user write a newline stop string as {@code --stop '\n'}. */
  private static String unescape(String stop) {
    try {
      return stop.translateEscapes();
    } catch (IllegalArgumentException e) {
      throw new InputException("--stop '" + stop + "': " + e.getMessage());
    }
  }

  private static String summary(GenerateResponse last, long startNanos, long firstTokenNanos) {
    if (last == null) {
      return "finish_reason=none (the stream was empty)";
    }
    long endNanos = System.nanoTime();
    StringBuilder line =
        new StringBuilder("finish_reason=")
            .append(finishReason(last.getFinishReason()))
            .append(" prompt_tokens=")
            .append(Integer.toUnsignedString(last.getUsage().getPromptTokens()))
            .append(" image_tokens=")
            .append(Integer.toUnsignedString(last.getUsage().getImageTokens()))
            .append(" completion_tokens=")
            .append(Integer.toUnsignedString(last.getUsage().getCompletionTokens()));
    if (firstTokenNanos >= 0) {
      line.append(" first_token_ms=").append((firstTokenNanos - startNanos) / 1_000_000);
    }
    return line.append(" total_ms=").append((endNanos - startNanos) / 1_000_000).toString();
  }

  /** eos, length, stop or cancelled, as in the Python example's last line. */
  static String finishReason(FinishReason reason) {
    return reason == FinishReason.UNRECOGNIZED
        ? "unknown"
        : reason.name().replaceFirst("^FINISH_REASON_", "").toLowerCase(Locale.ROOT);
  }
}
