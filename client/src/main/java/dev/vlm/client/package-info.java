/**
 * Java client for the vlm.v1 gRPC API of the vision-language model server.
 *
 * <p>Start with {@link dev.vlm.client.VlmClient}: connect, build a request with {@link
 * dev.vlm.client.Requests} and {@link dev.vlm.client.Images}, then generate unary, async or
 * streamed:
 *
 * <pre>{@code
 * try (VlmClient client = VlmClient.connect("localhost:50051")) {
 *   GenerateRequest request = Requests.chat("tiny-llava")
 *       .user("What is in this picture?", Images.fromFile(Path.of("cat.png")))
 *       .maxNewTokens(32)
 *       .build();
 *   try (ResponseStream stream = client.stream(request)) {
 *     stream.forEachRemaining(delta -> System.out.print(delta.getText()));
 *   }
 * }
 * }</pre>
 *
 * <p>Every call reports a failed RPC as an {@link io.grpc.StatusRuntimeException} whose status
 * code tells what went wrong (see the codes listed in {@code vlm/v1/inference.proto}).
 */
package dev.vlm.client;
