package dev.vlm.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.api.v1.ListModelsRequest;
import dev.vlm.api.v1.ModelsGrpc;
import dev.vlm.server.config.BatchingSettings;
import dev.vlm.server.config.RequestLimits;
import dev.vlm.server.logging.LogFields;
import dev.vlm.server.metrics.ServerMetrics;
import dev.vlm.server.serving.ModelRegistry;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.MetadataUtils;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The real endpoint (with no models) checks the tenant header on the vlm.v1 services only. */
class GrpcEndpointTest {
  private GrpcEndpoint endpoint;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    endpoint = GrpcEndpoint.start(0, new ModelRegistry(List.of(), null, RequestLimits.defaults(), BatchingSettings.defaults(), new ServerMetrics()), RequestLimits.defaults());
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", endpoint.port()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    endpoint.stopAccepting();
    endpoint.awaitTermination(Duration.ofSeconds(5));
  }

  @Test
  void eachNetworkCallLogsOneLineWithItsRequestIdTenantAndModel() {
    Logger logger = Logger.getLogger(CallLogInterceptor.class.getName());
    List<LogRecord> records = new CopyOnWriteArrayList<>();
    Handler capture = new Handler() {
      @Override
      public void publish(LogRecord record) {
        records.add(record);
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    logger.addHandler(capture);
    try {
      var stub = InferenceGrpc.newBlockingStub(channel).withInterceptors(tenant("acme"));
      assertThatThrownBy(() -> stub.generate(GenerateRequest.newBuilder().setModel("absent").setRequestId("r-9").build()))
          .isInstanceOf(StatusRuntimeException.class);
    } finally {
      logger.removeHandler(capture);
    }

    assertThat(records).hasSize(1);
    LogFields fields = (LogFields) records.getFirst().getParameters()[0];
    assertThat(fields.values()).containsEntry(LogFields.REQUEST_ID, "r-9").containsEntry(LogFields.TENANT, "acme")
        .containsEntry(LogFields.MODEL, "absent").containsEntry("status", "NOT_FOUND")
        .containsEntry("method", "vlm.v1.Inference/Generate");
  }

  @Test
  void inferenceRefusesAMalformedTenantBeforeLookingAtTheRequest() {
    var stub = InferenceGrpc.newBlockingStub(channel).withInterceptors(tenant("no spaces"));
    assertThatThrownBy(() -> stub.generate(GenerateRequest.newBuilder().setModel("absent").build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).startsWith("x-tenant");
            });
  }

  @Test
  void aValidTenantPassesOnToTheService() {
    var stub = InferenceGrpc.newBlockingStub(channel).withInterceptors(tenant("acme"));
    assertThatThrownBy(() -> stub.generate(GenerateRequest.newBuilder().setModel("absent").build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
  }

  @Test
  void modelsChecksTheTenantToo() {
    var stub = ModelsGrpc.newBlockingStub(channel).withInterceptors(tenant("a/b"));
    assertThatThrownBy(() -> stub.listModels(ListModelsRequest.getDefaultInstance()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
  }

  @Test
  void healthChecksIgnoreTheTenantHeader() {
    var stub = HealthGrpc.newBlockingStub(channel).withInterceptors(tenant("a/b"));
    assertThat(stub.check(HealthCheckRequest.getDefaultInstance()).getStatus()).isEqualTo(ServingStatus.SERVING);
  }

  private static io.grpc.ClientInterceptor tenant(String value) {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("x-tenant", Metadata.ASCII_STRING_MARSHALLER), value);
    return MetadataUtils.newAttachHeadersInterceptor(headers);
  }
}
