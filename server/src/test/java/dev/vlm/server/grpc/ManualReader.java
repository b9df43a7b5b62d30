package dev.vlm.server.grpc;

import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.GenerateResponse;
import dev.vlm.api.v1.InferenceGrpc;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A GenerateStream client that reads only as many responses as it is told to. */
final class ManualReader extends ClientCall.Listener<GenerateResponse> {
  /** Every response received, in order. */
  final List<GenerateResponse> received = new CopyOnWriteArrayList<>();
  private final BlockingQueue<GenerateResponse> unseen = new LinkedBlockingQueue<>();
  final CompletableFuture<Status> closed = new CompletableFuture<>();
  private final ClientCall<GenerateRequest, GenerateResponse> call;

  private ManualReader(Channel channel) {
    this.call = channel.newCall(InferenceGrpc.getGenerateStreamMethod(), CallOptions.DEFAULT);
  }

  /** Starts a call that reads nothing until {@link #read} is called. */
  static ManualReader start(Channel channel, String requestId) {
    ManualReader reader = new ManualReader(channel);
    reader.call.start(reader, new Metadata());
    reader.call.sendMessage(GenerateRequest.newBuilder().setModel("m").setRequestId(requestId).build());
    reader.call.halfClose();
    return reader;
  }

  /** Lets up to {@code responses} more responses in. */
  void read(int responses) {
    call.request(responses);
  }

  void cancel() {
    call.cancel("test cancels", null);
  }

  /** Waits for the response after the one the previous call returned. */
  GenerateResponse next() throws InterruptedException {
    GenerateResponse response = unseen.poll(5, TimeUnit.SECONDS);
    if (response == null) {
      throw new AssertionError("no response within 5 s");
    }
    return response;
  }

  /** Waits for the call to end. */
  Status status() throws Exception {
    return closed.get(5, TimeUnit.SECONDS);
  }

  /** All token ids received so far, in order. */
  List<Integer> tokenIds() {
    List<Integer> ids = new ArrayList<>();
    received.forEach(r -> ids.addAll(r.getTokenIdsList()));
    return ids;
  }

  @Override
  public void onMessage(GenerateResponse message) {
    received.add(message);
    unseen.add(message);
  }

  @Override
  public void onClose(Status status, Metadata trailers) {
    closed.complete(status);
  }
}
