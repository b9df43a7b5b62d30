package dev.vlm.server.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.server.config.BatchingSettings;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Priority cannot buy one tenant another tenant's share: with both tenants backlogged on one
 * model, a tenant flooding at priority 100 and a tenant at priority 0 each get about half the
 * generated tokens. Shares are counted in tokens, in the order they reach the clients, not in
 * time, so a slow or busy machine does not change the outcome.
 */
class FairPriorityTest {
  private static final int REQUESTS_PER_TENANT = 12;
  private static final int TOKENS_PER_REQUEST = 24;

  @Test
  void aTenantFloodingAtTopPriorityLeavesTheOtherItsFairShare() throws Exception {
    BatchingSettings d = BatchingSettings.defaults();
    try (RunningServer server = RunningServer.start(RunningServer.tinyLlavaConfig().withBatching(
        new BatchingSettings(4, d.maxBatchedTokens(), d.kvBlockSize(), d.kvBlocks(), d.maxEncoderTokensPerStep(),
            false)))) {
      List<String> tokenOwners = Collections.synchronizedList(new ArrayList<>());
      CountDownLatch done = new CountDownLatch(2 * REQUESTS_PER_TENANT);
      AtomicReference<Throwable> failure = new AtomicReference<>();
      // The flood is queued first: the worst case for the quiet tenant.
      for (String tenant : List.of("flood", "quiet")) {
        int priority = tenant.equals("flood") ? 100 : 0;
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("x-tenant", Metadata.ASCII_STRING_MARSHALLER), tenant);
        InferenceGrpc.InferenceStub stub = InferenceGrpc.newStub(server.channel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
        for (int i = 0; i < REQUESTS_PER_TENANT; i++) {
          GenerateRequest request = LongRequests.ofTokens(TOKENS_PER_REQUEST).toBuilder().setPriority(priority).build();
          stub.generateStream(request, new StreamObserver<>() {
            @Override
            public void onNext(GenerateResponse response) {
              for (int t = 0; t < response.getTokenIdsCount(); t++) {
                tokenOwners.add(tenant);
              }
            }

            @Override
            public void onError(Throwable t) {
              failure.compareAndSet(null, t);
              done.countDown();
            }

            @Override
            public void onCompleted() {
              done.countDown();
            }
          });
        }
      }
      assertThat(done.await(5, TimeUnit.MINUTES)).as("all requests done").isTrue();
      assertThat(failure.get()).isNull();

      List<String> owners = List.copyOf(tokenOwners);
      int total = REQUESTS_PER_TENANT * TOKENS_PER_REQUEST;
      assertThat(owners).hasSize(2 * total);
      // While both tenants still had work: up to the moment the first of them got its last token.
      int bothBusy = Math.min(owners.lastIndexOf("flood"), owners.lastIndexOf("quiet")) + 1;
      long quiet = owners.subList(0, bothBusy).stream().filter("quiet"::equals).count();
      double share = (double) quiet / bothBusy;
      assertThat(bothBusy).isGreaterThan(total);
      assertThat(share).as("quiet tenant's share of the first %d tokens", bothBusy).isBetween(0.4, 0.6);
    }
  }
}
