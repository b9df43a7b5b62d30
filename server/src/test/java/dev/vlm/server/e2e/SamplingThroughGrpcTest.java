package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm.api.v1.FinishReason;
import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.api.v1.SamplingParams;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Sampling settings and stop strings as a client sees them through gRPC. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SamplingThroughGrpcTest {
  private RunningServer server;
  private InferenceGrpc.InferenceBlockingStub stub;
  private Goldens.Case golden;

  @BeforeAll
  void start() {
    server = RunningServer.tinyLlava();
    stub = InferenceGrpc.newBlockingStub(server.channel);
    golden = Goldens.load("tiny-llava.json", "tiny-llava").getFirst();
  }

  @AfterAll
  void stop() throws InterruptedException {
    server.close();
  }

  @Test
  void stopStringEndsTheOutputBeforeIt() {
    String full = golden.text();
    String stop = full.substring(10, 14);
    GenerateResponse response = stub.generate(withSampling(golden.request().getSampling().toBuilder().addStop(stop)));

    assertThat(response.getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_STOP);
    assertThat(response.getText()).isEqualTo(full.substring(0, full.indexOf(stop)));
    assertThat(response.getTokenIdsList()).isEqualTo(golden.tokenIds().subList(0, response.getTokenIdsCount()));
  }

  @Test
  void streamedTextWithAStopStringEqualsTheUnaryText() {
    GenerateRequest request = withSampling(golden.request().getSampling().toBuilder().addStop(golden.text().substring(20, 23)));
    StringBuilder streamed = new StringBuilder();
    Iterator<GenerateResponse> stream = stub.generateStream(request);
    stream.forEachRemaining(r -> streamed.append(r.getText()));
    assertThat(streamed.toString()).isEqualTo(stub.generate(request).getText());
  }

  @Test
  void sameSeedGivesTheSameSampleAndOtherSeedsDiffer() {
    SamplingParams.Builder sampled = SamplingParams.newBuilder().setMaxNewTokens(24).setTemperature(1.5f).setIgnoreEos(true);
    List<Integer> first = stub.generate(withSampling(sampled.clone().setSeed(7))).getTokenIdsList();
    List<Integer> again = stub.generate(withSampling(sampled.clone().setSeed(7))).getTokenIdsList();
    List<Integer> other = stub.generate(withSampling(sampled.clone().setSeed(8))).getTokenIdsList();

    assertThat(again).isEqualTo(first);
    assertThat(other).isNotEqualTo(first);
    assertThat(first).isNotEqualTo(golden.tokenIds());
  }

  @Test
  void topKOfOneIsGreedy() {
    SamplingParams.Builder sampling = golden.request().getSampling().toBuilder().setTemperature(1f).setTopK(1).setSeed(3);
    assertThat(stub.generate(withSampling(sampling)).getTokenIdsList()).isEqualTo(golden.tokenIds());
  }

  @Test
  void repetitionPenaltyAvoidsRepeats() {
    SamplingParams.Builder greedy = golden.request().getSampling().toBuilder().setIgnoreEos(true);
    List<Integer> plain = stub.generate(withSampling(greedy.clone())).getTokenIdsList();
    List<Integer> penalized = stub.generate(withSampling(greedy.clone().setRepetitionPenalty(100f))).getTokenIdsList();

    // The tiny model repeats itself under greedy decoding; a strong penalty stops that.
    assertThat(plain).hasSizeGreaterThan((int) plain.stream().distinct().count());
    assertThat(penalized).doesNotHaveDuplicates();
  }

  private GenerateRequest withSampling(SamplingParams.Builder sampling) {
    return golden.request().toBuilder().setSampling(sampling).build();
  }
}
