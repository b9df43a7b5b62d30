package dev.vlm.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.vlm.api.v1.Content;
import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.client.cli.InProcessVlm;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The {@code vlm} command line, run in-process, against the real server over a loopback socket. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CliE2ETest {
  private static final String IMAGE = "testdata/images/gradient_32.png";
  private static final String QUESTION = "What is in this image?";

  private TinyLlavaServer server;
  private Goldens.Case golden;

  @BeforeAll
  void start() throws Exception {
    server = TinyLlavaServer.start();
    golden = Goldens.named(Goldens.tinyLlava(TinyLlavaServer.MODEL), "gradient_what");
  }

  @AfterAll
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  /**
   * The CLI's output is the golden text, and what it sends is the golden's message: one user
   * message holding the image, then the text. (The model's chat template would put the image
   * first whatever the order, so the output alone could not tell.)
   */
  @Test
  void generatePrintsTheGoldenTextAndSendsTheGoldenMessage() throws Exception {
    RequestRecorder recorder = new RequestRecorder();

    Run run = vlmObserved(recorder, "--target", server.target(), "generate", "--model", TinyLlavaServer.MODEL,
        "--image", TestData.fromRepo(IMAGE).toString(), "-n", "24", "--temperature", "0", QUESTION);

    assertThat(run.err).isEmpty();
    assertThat(run.exitCode).isZero();
    assertThat(run.out).isEqualTo(golden.text() + System.lineSeparator());
    GenerateRequest sent = recorder.sent().getFirst();
    assertThat(sent.getMessagesList()).isEqualTo(golden.request().getMessagesList());
    assertThat(sent.getMessages(0).getContentList())
        .extracting(Content::hasImage, Content::getText)
        .containsExactly(tuple(true, ""), tuple(false, QUESTION));
    assertThat(sent.getSampling().getMaxNewTokens()).isEqualTo(24);
    assertThat(sent.getSampling().getTemperature()).isZero();
  }

  @Test
  void generateOverTheCliOwnClientPrintsTheGoldenText() {
    Run run = vlm("--target", server.target(), "generate", "--model", TinyLlavaServer.MODEL,
        "--image", TestData.fromRepo(IMAGE).toString(), "-n", "24", "--temperature", "0", QUESTION);

    assertThat(run.err).isEmpty();
    assertThat(run.exitCode).isZero();
    assertThat(run.out).isEqualTo(golden.text() + System.lineSeparator());
  }

  @Test
  void modelsListsTinyLlavaLoaded() {
    Run run = vlm("--target", server.target(), "models");

    assertThat(run.exitCode).isZero();
    assertThat(run.err).isEmpty();
    List<String> lines = run.out.lines().toList();
    assertThat(lines).hasSize(2);
    assertThat(lines.getFirst().split("\\s+")).startsWith("NAME", "FAMILY", "STATE");
    assertThat(Arrays.asList(lines.get(1).split("\\s+")).subList(0, 3))
        .containsExactly(TinyLlavaServer.MODEL, "llava", "LOADED");
  }

  @Test
  void unknownModelExitsNotFoundWithAnErrorLine() {
    Run run = vlm("--target", server.target(), "generate", "--model", "nope", "-n", "4", QUESTION);

    assertThat(run.exitCode).isEqualTo(InProcessVlm.EXIT_NOT_FOUND);
    assertThat(run.out).isEmpty();
    assertThat(run.err.lines().toList()).singleElement().asString().startsWith("error: NOT_FOUND: ").contains("nope");
  }

  private static Run vlm(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exitCode = InProcessVlm.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(exitCode, out.toString(), err.toString());
  }

  private static Run vlmObserved(RequestRecorder recorder, String... args) throws InterruptedException {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exitCode = InProcessVlm.runObserved(recorder, new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(exitCode, out.toString(), err.toString());
  }

  private record Run(int exitCode, String out, String err) {}
}
