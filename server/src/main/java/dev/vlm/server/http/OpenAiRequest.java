package dev.vlm.server.http;

import dev.vlm.api.v1.GenerateRequest;

/**
 * An OpenAI request translated for the gRPC service, with what only the HTTP side needs.
 *
 * @param grpc the request the gRPC service runs
 * @param stream answer with server-sent events
 * @param includeUsage in a stream, end with a chunk that carries the token counts
 * @param returnTokenIds add the generated token ids to each choice (vLLM's {@code return_token_ids})
 */
record OpenAiRequest(GenerateRequest grpc, boolean stream, boolean includeUsage, boolean returnTokenIds) {}
