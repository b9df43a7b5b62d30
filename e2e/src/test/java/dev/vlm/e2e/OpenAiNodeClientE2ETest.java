package dev.vlm.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.server.VlmServer;
import dev.vlm.server.config.HttpSettings;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.RequestLimits;
import dev.vlm.server.config.ServerConfig;
import dev.vlm.server.http.HttpEndpoint;
import dev.vlm.server.metrics.ServerMetrics;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The official OpenAI JavaScript client ({@code openai} on npm, pinned in e2e/openai) against the
 * real server's HTTP API: plain and streamed chat with an image, a text completion, model listing
 * and each error status (e2e/openai/test/openai.test.mjs, run with {@code node --test}).
 *
 * <p>401 and 403 come from a second HTTP endpoint whose gRPC side is an API-key check that
 * refuses every key: the real server checks keys only when authentication is configured, and the
 * HTTP layer's job is to forward the header and map the status, which this shows.
 *
 * <p>Needs node and npm; {@code npm ci} runs here when e2e/openai/node_modules is missing. Without
 * node the class is skipped, except when CI is "true": CI installs it, so there its absence fails.
 */
class OpenAiNodeClientE2ETest {
  private static final Duration TIMEOUT = Duration.ofMinutes(4);

  @TempDir Path temp;

  @Test
  void theOpenAiClientWorksAgainstTheServer() throws Exception {
    Path suite = TestData.repoRoot().resolve("e2e/openai");
    requireNode(suite);
    if (!Files.isDirectory(suite.resolve("node_modules/openai"))) {
      Subprocess.Result installed =
          Subprocess.run(List.of("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"), suite, TIMEOUT, env -> {});
      assertThat(installed.exitCode()).as("npm ci: %s", installed.describe()).isZero();
    }
    RequestLimits d = RequestLimits.defaults();
    // One request in flight per model, so the suite can fill the queue with a single stream.
    RequestLimits oneAtATime = new RequestLimits(d.maxImageBytes(), d.maxImagePixels(), d.maxImagesPerRequest(), 1,
        d.defaultMaxNewTokens(), d.maxPendingStreamMessages());
    ServerConfig config = ServerConfig.of(0, List.of(
            new ModelSpec(TinyLlavaServer.MODEL, TestData.tinyLlava(), Optional.empty()),
            new ModelSpec("missing", temp.resolve("does-not-exist"), Optional.empty())))
        .withLimits(oneAtATime)
        .withHttp(HttpSettings.off().withPort(0));
    try (VlmServer server = VlmServer.start(config); KeyRefusingEndpoint refusing = new KeyRefusingEndpoint()) {
      Subprocess.Result run = Subprocess.run(List.of("node", "--test", "test/"), suite, TIMEOUT, env -> {
        env.put("VLM_HTTP_URL", "http://127.0.0.1:" + server.httpPort() + "/v1");
        env.put("VLM_AUTH_HTTP_URL", "http://127.0.0.1:" + refusing.endpoint.port() + "/v1");
        env.put("VLM_IMAGE", TestData.fromRepo("testdata/images/noise_32.png").toString());
      });
      System.out.println(run.stdout());
      assertThat(run.exitCode()).as("node --test: %s", run.describe()).isZero();
      assertThat(run.stdout()).contains("# fail 0").doesNotContain("# pass 0");
    }
  }

  private static void requireNode(Path suite) throws Exception {
    for (String tool : List.of("node", "npm")) {
      if (Subprocess.run(List.of("bash", "-c", "command -v " + tool), suite, Duration.ofSeconds(10), env -> {})
          .exitCode() != 0) {
        String reason = tool + " is not installed (apt-get install nodejs npm)";
        if ("true".equals(System.getenv("CI"))) {
          Assertions.fail(reason + "; CI installs it, so its absence is a failure there");
        }
        Assumptions.abort(reason);
      }
    }
  }

  /** An HTTP endpoint in front of a gRPC service whose API-key check refuses every call. */
  private static final class KeyRefusingEndpoint implements AutoCloseable {
    private static final Metadata.Key<String> AUTHORIZATION =
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    final Server grpc;
    final ManagedChannel channel;
    final HttpEndpoint endpoint;

    KeyRefusingEndpoint() throws Exception {
      ServerInterceptor refuseAll = new ServerInterceptor() {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
          boolean known = "Bearer no-access".equals(headers.get(AUTHORIZATION));
          call.close(known
              ? Status.PERMISSION_DENIED.withDescription("this key may not use the model")
              : Status.UNAUTHENTICATED.withDescription("unknown API key"), new Metadata());
          return new ServerCall.Listener<>() {};
        }
      };
      InferenceGrpc.InferenceImplBase unreachable = new InferenceGrpc.InferenceImplBase() {
        @Override
        public void generate(GenerateRequest request, StreamObserver<GenerateResponse> observer) {
          observer.onError(Status.INTERNAL.withDescription("the key check let a call through").asException());
        }
      };
      String name = InProcessServerBuilder.generateName();
      grpc = InProcessServerBuilder.forName(name).addService(ServerInterceptors.intercept(unreachable, refuseAll))
          .build().start();
      channel = InProcessChannelBuilder.forName(name).directExecutor().build();
      endpoint = HttpEndpoint.start(HttpSettings.off().withPort(0), channel, new ServerMetrics(), 1 << 20,
          Optional.empty());
    }

    @Override
    public void close() {
      endpoint.close();
      channel.shutdownNow();
      grpc.shutdownNow();
    }
  }
}
