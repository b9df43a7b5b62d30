package dev.vlm.scheduler;

/**
 * One image the vision encoder must run this step, because a prefill chunk of its request
 * reaches the image's positions for the first time since the request was (re)admitted. The
 * engine keeps the encoder output until the request's prefill has passed {@code span.end()},
 * or until the request is preempted or finished.
 *
 * <p>Immutable, thread-safe.
 *
 * @param requestId the request the image belongs to
 * @param imageIndex index into {@link Request#images()}
 * @param span the image's prompt positions; {@code span.length()} is its encoder cost
 */
public record EncoderInput(String requestId, int imageIndex, ImageSpan span) {}
