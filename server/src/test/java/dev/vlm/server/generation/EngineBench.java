package dev.vlm.server.generation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.RuntimeSettings;
import dev.vlm.server.engine.BatchDecoder;
import dev.vlm.server.engine.Greedy;
import dev.vlm.server.engine.OrtRuntime;
import dev.vlm.server.image.ImageDecoder;
import dev.vlm.server.image.RgbImage;
import dev.vlm.server.model.ModelFamilies;
import dev.vlm.server.model.WeightTypes;
import dev.vlm.server.template.ChatMessage;
import dev.vlm.server.template.ChatPart;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The bare-engine ceiling for the benchmark (bench/run.sh): drives {@link
 * dev.vlm.server.engine.OnnxVlm} and its {@link BatchDecoder} in-process, with no gRPC, no
 * scheduler, no sampler (argmax) and no detokenizer, so what the server adds on top shows as the
 * gap to this figure.
 *
 * <p>Two measurements:
 *
 * <ul>
 *   <li><b>workload</b>: the benchmark's requests (bench/workload.py) with up to {@code
 *       --concurrency} sequences in the batch; a finished sequence is replaced at the next step
 *       (its prompt runs as a prefill row in that step), which is continuous batching reduced to
 *       its cost. Output tokens per second of wall time, image encoding and prefill included.
 *   <li><b>sweep</b>: decode steps alone at fixed batch sizes and contexts (each row prefilled to
 *       the context first, then {@code --sweep-steps} timed steps): what one decode step costs.
 * </ul>
 *
 * <p>Run with the server jar and the test classes on the class path; see bench/run.sh. Lives in
 * the test tree, beside the package-private prompt preparation it reuses, so the server jar
 * does not ship it.
 */
final class EngineBench {
  private static final ObjectMapper JSON = new ObjectMapper();

  private EngineBench() {}

  /**
   * Runs the benchmark.
   *
   * @param args {@code --model DIR --workload FILE --json OUT [--concurrency 32]
   *     [--sweep-batches 1,2,4,8,16,32] [--sweep-contexts 64,256] [--sweep-steps 16] [--dtype fp32]
   *     [--sweep-only false]}; an empty {@code --sweep-batches} skips the sweep, {@code --sweep-only
   *     true} the workload
   * @throws IOException if a file cannot be read or written
   */
  public static void main(String[] args) throws IOException {
    Map<String, String> options = options(args);
    Path modelDir = Path.of(required(options, "--model"));
    Path workloadFile = Path.of(required(options, "--workload"));
    Path jsonOut = Path.of(required(options, "--json"));
    int concurrency = Integer.parseInt(options.getOrDefault("--concurrency", "32"));
    int[] batches = ints(options.getOrDefault("--sweep-batches", "1,2,4,8,16,32"));
    int[] contexts = ints(options.getOrDefault("--sweep-contexts", "64,256"));
    int sweepSteps = Integer.parseInt(options.getOrDefault("--sweep-steps", "16"));

    long loadStart = System.nanoTime();
    LoadedModel model = new ModelLoader(ModelFamilies.builtIn(), OrtRuntime.create(RuntimeSettings.defaults()))
        .load(new ModelSpec("bench", modelDir, Optional.empty())
            .withWeights(WeightTypes.parse(options.getOrDefault("--dtype", "fp32"))));
    String variant = model.engine().writesCacheInPlace() ? "gqa" : "concat";
    System.out.printf(Locale.ROOT, "engine bench: %s (%s decoder) loaded in %.1f s%n",
        modelDir, variant, (System.nanoTime() - loadStart) / 1e9);

    ObjectNode report = JSON.createObjectNode();
    report.put("model", modelDir.toString());
    report.put("variant", variant);
    try (model) {
      List<Job> jobs = readWorkload(model, workloadFile);
      warmUp(model, jobs.getFirst());
      if (!Boolean.parseBoolean(options.getOrDefault("--sweep-only", "false"))) {
        report.set("workload", runWorkload(model, jobs, concurrency));
      }
      ArrayNode sweep = report.putArray("sweep");
      for (int context : contexts) {
        for (int batch : batches) {
          sweep.add(decodeSweep(model, batch, context, sweepSteps));
        }
      }
    }
    Files.writeString(jsonOut, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(report));
  }

  /** One workload request, its prompt prepared as the server prepares it. */
  private record Job(String id, PreparedPrompt prompt, int maxNewTokens) {}

  /** A sequence in the batch: where its cache ends, its last token, how many it has made. */
  private static final class Active {
    final Job job;
    int position;
    int lastToken;
    int generated;

    Active(Job job) {
      this.job = job;
    }
  }

  private static List<Job> readWorkload(LoadedModel model, Path file) throws IOException {
    JsonNode root = JSON.readTree(file.toFile());
    RgbImage image = new ImageDecoder(1 << 26, 1 << 26)
        .decode(Files.readAllBytes(Path.of(root.get("image").asText())));
    List<Job> jobs = new ArrayList<>();
    for (JsonNode request : root.get("requests")) {
      Prompt chat = new Prompt.Chat(
          List.of(new ChatMessage("user",
              List.of(new ChatPart.Image(), new ChatPart.Text(request.get("prompt").asText())))),
          List.of(image));
      jobs.add(new Job("w" + jobs.size(), PromptPreparer.prepare(model, chat),
          request.get("max_new_tokens").asInt()));
    }
    return jobs;
  }

  // First calls pay for ONNX Runtime's lazy initialisation; keep that out of the timings.
  private static void warmUp(LoadedModel model, Job job) {
    runWorkload(model, List.of(new Job("warm-a", job.prompt(), 4), new Job("warm-b", job.prompt(), 4)), 2);
  }

  private static ObjectNode runWorkload(LoadedModel model, List<Job> jobs, int concurrency) {
    Deque<Job> pending = new ArrayDeque<>(jobs);
    List<Active> active = new ArrayList<>();
    long tokens = 0;
    long steps = 0;
    long rowsTotal = 0;
    int largestBatch = 0;
    long start = System.nanoTime();
    long cpuStart = processCpuNanos();
    try (BatchDecoder decoder = model.engine().newBatchDecoder(concurrency, model.maxContextTokens())) {
      while (!pending.isEmpty() || !active.isEmpty()) {
        List<BatchDecoder.Row> rows = new ArrayList<>();
        for (Active sequence : active) {
          rows.add(new BatchDecoder.Row(sequence.job.id(), sequence.position,
              model.engine().embed(new int[] {sequence.lastToken}), 1));
        }
        while (active.size() < concurrency && !pending.isEmpty()) {
          Active admitted = new Active(pending.poll());
          rows.add(new BatchDecoder.Row(admitted.job.id(), 0, promptEmbeds(model, admitted.job.prompt()),
              admitted.job.prompt().tokenIds().length));
          active.add(admitted);
        }
        float[][] logits = decoder.step(rows);
        steps++;
        rowsTotal += rows.size();
        largestBatch = Math.max(largestBatch, rows.size());
        Iterator<Active> it = active.iterator();
        for (int i = 0; it.hasNext(); i++) {
          Active sequence = it.next();
          sequence.position += rows.get(i).length();
          sequence.lastToken = Greedy.argmax(logits[i]);
          sequence.generated++;
          tokens++;
          if (sequence.generated >= sequence.job.maxNewTokens()) {
            decoder.release(sequence.job.id());
            it.remove();
          }
        }
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    double cpuSeconds = (processCpuNanos() - cpuStart) / 1e9;
    ObjectNode result = JSON.createObjectNode();
    result.put("requests", jobs.size());
    result.put("cpu_seconds", cpuSeconds);
    result.put("mean_prompt_tokens", jobs.stream().mapToInt(j -> j.prompt().tokenIds().length).average().orElse(0));
    result.put("concurrency", concurrency);
    result.put("output_tokens", tokens);
    result.put("seconds", seconds);
    result.put("output_tokens_per_second", tokens / seconds);
    result.put("steps", steps);
    result.put("mean_rows_per_step", (double) rowsTotal / steps);
    result.put("largest_batch", largestBatch);
    if (jobs.size() > 2) {
      System.out.printf(Locale.ROOT, "workload: %d requests (prompts %.0f tokens on average), %d tokens in %.2f s"
          + " = %.1f tok/s (%d steps, %.1f rows/step)%n", jobs.size(), result.get("mean_prompt_tokens").asDouble(),
          tokens, seconds, tokens / seconds, steps, (double) rowsTotal / steps);
    }
    return result;
  }

  /** The prompt's embeddings with the image features over the image positions, as the server builds them. */
  private static float[] promptEmbeds(LoadedModel model, PreparedPrompt prompt) {
    float[] embeds = model.engine().embed(prompt.tokenIds());
    int hidden = model.engine().hiddenSize();
    for (PreparedPrompt.PromptImage image : prompt.images()) {
      float[][] features = model.engine().encodeImage(image.pixels().pixels(), image.pixels().shape());
      for (int k = 0; k < image.length(); k++) {
        System.arraycopy(features[k], 0, embeds, (image.offset() + k) * hidden, hidden);
      }
    }
    return embeds;
  }

  private static ObjectNode decodeSweep(LoadedModel model, int batch, int context, int steps) {
    int[] prompt = new int[context];
    for (int i = 0; i < context; i++) {
      prompt[i] = 3 + (i * 37) % 250; // byte tokens: valid ids in every tokenizer this repo generates
    }
    float[] promptEmbeds = model.engine().embed(prompt);
    double seconds;
    try (BatchDecoder decoder = model.engine().newBatchDecoder(batch, model.maxContextTokens())) {
      int[] last = new int[batch];
      for (int b = 0; b < batch; b++) {
        last[b] = Greedy.argmax(decoder.step(List.of(new BatchDecoder.Row("s" + b, 0, promptEmbeds, context)))[0]);
      }
      long start = System.nanoTime();
      for (int step = 0; step < steps; step++) {
        List<BatchDecoder.Row> rows = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
          rows.add(new BatchDecoder.Row("s" + b, context + step, model.engine().embed(new int[] {last[b]}), 1));
        }
        float[][] logits = decoder.step(rows);
        for (int b = 0; b < batch; b++) {
          last[b] = Greedy.argmax(logits[b]);
        }
      }
      seconds = (System.nanoTime() - start) / 1e9;
    }
    double tokensPerSecond = (double) batch * steps / seconds;
    System.out.printf(Locale.ROOT, "sweep: batch %2d, context %4d: %7.1f tok/s (%.1f ms/step)%n",
        batch, context, tokensPerSecond, seconds * 1000 / steps);
    ObjectNode result = JSON.createObjectNode();
    result.put("batch", batch);
    result.put("context", context);
    result.put("steps", steps);
    result.put("ms_per_step", seconds * 1000 / steps);
    result.put("tokens_per_second", tokensPerSecond);
    return result;
  }

  // User and system time of the whole process: the engine's own threads and ONNX Runtime's pool.
  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
        .getOperatingSystemMXBean()).getProcessCpuTime();
  }

  private static Map<String, String> options(String[] args) {
    if (args.length % 2 != 0) {
      throw new IllegalArgumentException("options come in pairs (--name value), got " + Arrays.toString(args));
    }
    Map<String, String> options = new HashMap<>();
    for (int i = 0; i < args.length; i += 2) {
      options.put(args[i], args[i + 1]);
    }
    return options;
  }

  private static String required(Map<String, String> options, String name) {
    String value = options.get(name);
    if (value == null) {
      throw new IllegalArgumentException("missing " + name);
    }
    return value;
  }

  private static int[] ints(String csv) {
    return csv.isBlank() ? new int[0] : Arrays.stream(csv.split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
  }
}
