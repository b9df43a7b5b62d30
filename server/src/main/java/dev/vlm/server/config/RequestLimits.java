package dev.vlm.server.config;

/**
 * Per-request limits that protect the server from oversized input.
 *
 * @param maxImageBytes largest encoded image accepted
 * @param maxImagePixels largest decoded image (width x height) accepted
 * @param maxImagesPerRequest most images in one request
 * @param maxQueuedRequestsPerModel requests that may wait for a model before new ones are refused
 * @param defaultMaxNewTokens output length when neither the request nor generation_config.json sets one
 * @param maxPendingStreamMessages stream responses that may wait for a slow client before its
 *     request is stopped with RESOURCE_EXHAUSTED
 */
public record RequestLimits(
    long maxImageBytes,
    long maxImagePixels,
    int maxImagesPerRequest,
    int maxQueuedRequestsPerModel,
    int defaultMaxNewTokens,
    int maxPendingStreamMessages) {
  public RequestLimits {
    if (maxImageBytes <= 0 || maxImagePixels <= 0 || maxImagesPerRequest <= 0) {
      throw new IllegalArgumentException("image limits must be positive");
    }
    if (maxQueuedRequestsPerModel <= 0 || defaultMaxNewTokens <= 0) {
      throw new IllegalArgumentException("queue size and default max_new_tokens must be positive");
    }
    if (maxPendingStreamMessages <= 0) {
      throw new IllegalArgumentException("max pending stream messages must be positive");
    }
  }

  /**
   * 20 MiB and 40 megapixels per image, 8 images, 256 queued requests, 256 new tokens, 1024
   * pending stream responses.
   */
  public static RequestLimits defaults() {
    return new RequestLimits(20L << 20, 40_000_000L, 8, 256, 256, 1024);
  }
}
