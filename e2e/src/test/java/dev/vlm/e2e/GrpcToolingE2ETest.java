package dev.vlm.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Generic gRPC tooling (grpcurl, grpc_health_probe, load balancers) works with the server:
 * reflection v1 and v1alpha describe the API, standard health checks answer.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GrpcToolingE2ETest {
  private static final String INFERENCE = "vlm.v1.Inference";
  private static final String INFERENCE_PROTO = "vlm/v1/inference.proto";
  private static final List<String> SERVICES = List.of(INFERENCE, "vlm.v1.Models", "grpc.health.v1.Health");

  private TinyLlavaServer server;
  private ManagedChannel channel;

  @BeforeAll
  void start() throws Exception {
    server = TinyLlavaServer.start();
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
  }

  @AfterAll
  void stop() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void reflectionV1ListsTheServices() throws Exception {
    ServerReflectionResponse response =
        askOnce(ServerReflectionGrpc.newStub(channel)::serverReflectionInfo,
            ServerReflectionRequest.newBuilder().setListServices("").build());

    assertThat(response.getListServicesResponse().getServiceList())
        .extracting(ServiceResponse::getName)
        .containsAll(SERVICES);
  }

  @Test
  void reflectionV1alphaListsTheServices() throws Exception {
    io.grpc.reflection.v1alpha.ServerReflectionResponse response =
        askOnce(io.grpc.reflection.v1alpha.ServerReflectionGrpc.newStub(channel)::serverReflectionInfo,
            io.grpc.reflection.v1alpha.ServerReflectionRequest.newBuilder().setListServices("").build());

    assertThat(response.getListServicesResponse().getServiceList())
        .extracting(io.grpc.reflection.v1alpha.ServiceResponse::getName)
        .containsAll(SERVICES);
  }

  /** What grpcurl does to call a method it has no stubs for: fetch the file, build descriptors. */
  @Test
  void reflectionV1GivesAUsableDescriptorOfTheInferenceService() throws Exception {
    ServerReflectionResponse response =
        askOnce(ServerReflectionGrpc.newStub(channel)::serverReflectionInfo,
            ServerReflectionRequest.newBuilder().setFileContainingSymbol(INFERENCE).build());

    FileDescriptor file = resolve(response.getFileDescriptorResponse().getFileDescriptorProtoList(), INFERENCE_PROTO);
    ServiceDescriptor service = file.findServiceByName("Inference");
    assertThat(service.getFullName()).isEqualTo(INFERENCE);
    MethodDescriptor stream = service.findMethodByName("GenerateStream");
    assertThat(stream.isServerStreaming()).isTrue();
    assertThat(stream.getInputType().getFullName()).isEqualTo("vlm.v1.GenerateRequest");
    assertThat(service.findMethodByName("Generate").isServerStreaming()).isFalse();
  }

  @Test
  void reflectionV1alphaGivesTheInferenceProtoBySymbol() throws Exception {
    io.grpc.reflection.v1alpha.ServerReflectionResponse response =
        askOnce(io.grpc.reflection.v1alpha.ServerReflectionGrpc.newStub(channel)::serverReflectionInfo,
            io.grpc.reflection.v1alpha.ServerReflectionRequest.newBuilder()
                .setFileContainingSymbol(INFERENCE + ".Generate").build());

    assertThat(fileNames(response.getFileDescriptorResponse().getFileDescriptorProtoList())).contains(INFERENCE_PROTO);
  }

  @Test
  void healthIsServingOverallAndForInference() {
    HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);

    assertThat(health.check(HealthCheckRequest.newBuilder().setService("").build()).getStatus())
        .isEqualTo(ServingStatus.SERVING);
    assertThat(health.check(HealthCheckRequest.newBuilder().setService(INFERENCE).build()).getStatus())
        .isEqualTo(ServingStatus.SERVING);
  }

  @Test
  void healthOfAnUnknownServiceIsNotFound() {
    StatusRuntimeException error = catchThrowableOfType(StatusRuntimeException.class,
        () -> HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.newBuilder().setService("no.such.Service").build()));

    assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
  }

  /** Sends one request on a bidirectional reflection stream and returns the one answer. */
  private static <Q, R> R askOnce(Function<StreamObserver<R>, StreamObserver<Q>> open, Q request) throws Exception {
    CompletableFuture<R> answer = new CompletableFuture<>();
    StreamObserver<Q> requests = open.apply(new StreamObserver<>() {
      @Override
      public void onNext(R response) {
        answer.complete(response);
      }

      @Override
      public void onError(Throwable error) {
        answer.completeExceptionally(error);
      }

      @Override
      public void onCompleted() {
        answer.completeExceptionally(new IllegalStateException("the stream ended without an answer"));
      }
    });
    requests.onNext(request);
    requests.onCompleted();
    return answer.get(10, TimeUnit.SECONDS);
  }

  private static List<String> fileNames(List<ByteString> files) throws InvalidProtocolBufferException {
    return parse(files).keySet().stream().toList();
  }

  private static Map<String, FileDescriptorProto> parse(List<ByteString> files) throws InvalidProtocolBufferException {
    Map<String, FileDescriptorProto> byName = new HashMap<>();
    for (ByteString bytes : files) {
      FileDescriptorProto proto = FileDescriptorProto.parseFrom(bytes);
      byName.put(proto.getName(), proto);
    }
    return byName;
  }

  /** Builds {@code name} from the returned files; each import must be among them, as a tool needs. */
  private static FileDescriptor resolve(List<ByteString> files, String name)
      throws InvalidProtocolBufferException, DescriptorValidationException {
    return resolve(parse(files), name, new HashMap<>());
  }

  private static FileDescriptor resolve(
      Map<String, FileDescriptorProto> protos, String name, Map<String, FileDescriptor> built)
      throws DescriptorValidationException {
    FileDescriptor done = built.get(name);
    if (done != null) {
      return done;
    }
    FileDescriptorProto proto = protos.get(name);
    assertThat(proto).as("reflection returned %s (got %s)", name, protos.keySet()).isNotNull();
    FileDescriptor[] dependencies = new FileDescriptor[proto.getDependencyCount()];
    for (int i = 0; i < dependencies.length; i++) {
      dependencies[i] = resolve(protos, proto.getDependency(i), built);
    }
    FileDescriptor file = FileDescriptor.buildFrom(proto, dependencies);
    built.put(name, file);
    return file;
  }
}
