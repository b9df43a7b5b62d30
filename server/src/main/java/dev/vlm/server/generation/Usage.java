package dev.vlm.server.generation;

/**
 * Token counts of one request.
 *
 * @param promptTokens prompt length, image tokens included
 * @param completionTokens tokens generated
 * @param imageTokens prompt positions holding image features
 */
public record Usage(int promptTokens, int completionTokens, int imageTokens) {}
