package dev.vlm.scheduler;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One generation request as the scheduler sees it: who asked, how urgent it is, the prompt's
 * token ids (image positions hold placeholder ids), where the images sit, how long the output
 * may grow, and when it must be done. Sampling settings and pixels stay with the server; the
 * engine looks them up by {@link #id()}.
 *
 * <p>Priority: a higher number is served sooner. Deadline: an absolute time on the scheduler's
 * injected nanosecond clock, or {@link #NO_DEADLINE}.
 *
 * <p>Immutable, thread-safe. Build with {@link #builder(String, int[])}.
 */
public final class Request {
  /** Deadline value meaning "none". */
  public static final long NO_DEADLINE = Long.MAX_VALUE;

  /** Tenant used when the builder is given none. */
  public static final String DEFAULT_TENANT = "default";

  private final String id;
  private final String tenant;
  private final int priority;
  private final int[] promptTokenIds;
  private final List<ImageSpan> images;
  private final int maxNewTokens;
  private final long deadlineNanos;

  private Request(Builder b) {
    this.id = b.id;
    this.tenant = b.tenant;
    this.priority = b.priority;
    this.promptTokenIds = b.promptTokenIds.clone();
    this.images = List.copyOf(b.images);
    this.maxNewTokens = b.maxNewTokens;
    this.deadlineNanos = b.deadlineNanos;
  }

  /**
   * Starts a request.
   *
   * @param id unique among in-flight requests
   * @param promptTokenIds the full prompt, image placeholder positions included; copied
   */
  public static Builder builder(String id, int[] promptTokenIds) {
    return new Builder(id, promptTokenIds);
  }

  /** The request's id, unique among in-flight requests. */
  public String id() {
    return id;
  }

  /** Who the request is accounted to for fair sharing. */
  public String tenant() {
    return tenant;
  }

  /** Scheduling priority; higher is served sooner. */
  public int priority() {
    return priority;
  }

  /** Number of prompt tokens, image positions included. */
  public int promptLength() {
    return promptTokenIds.length;
  }

  /** A copy of the prompt's token ids. */
  public int[] promptTokenIds() {
    return promptTokenIds.clone();
  }

  /** The images in prompt order; never overlapping. */
  public List<ImageSpan> images() {
    return images;
  }

  /** Total prompt positions filled by image encoder output. */
  public int imageTokens() {
    int sum = 0;
    for (ImageSpan image : images) {
      sum += image.length();
    }
    return sum;
  }

  /** The most tokens to generate; reaching it finishes the request with {@code LENGTH}. */
  public int maxNewTokens() {
    return maxNewTokens;
  }

  /** Absolute deadline on the scheduler's clock in nanoseconds, or {@link #NO_DEADLINE}. */
  public long deadlineNanos() {
    return deadlineNanos;
  }

  /** True if a deadline is set. */
  public boolean hasDeadline() {
    return deadlineNanos != NO_DEADLINE;
  }

  @Override
  public String toString() {
    return "Request[" + id + ", tenant=" + tenant + ", priority=" + priority + ", prompt="
        + promptTokenIds.length + ", images=" + images.size() + ", maxNewTokens=" + maxNewTokens
        + (hasDeadline() ? ", deadline=" + deadlineNanos : "") + "]";
  }

  /**
   * Builds a {@link Request}; every check runs in {@link #build()}.
   *
   * <p>Not thread-safe.
   */
  public static final class Builder {
    private final String id;
    private final int[] promptTokenIds;
    private String tenant = DEFAULT_TENANT;
    private int priority;
    private final List<ImageSpan> images = new ArrayList<>();
    private int maxNewTokens = 16;
    private long deadlineNanos = NO_DEADLINE;

    private Builder(String id, int[] promptTokenIds) {
      this.id = id;
      this.promptTokenIds = promptTokenIds;
    }

    /** The tenant for fair sharing; default {@link #DEFAULT_TENANT}. */
    public Builder tenant(String tenant) {
      this.tenant = tenant;
      return this;
    }

    /** Priority, higher served sooner; default 0. */
    public Builder priority(int priority) {
      this.priority = priority;
      return this;
    }

    /** Adds an image at prompt positions {@code [offset, offset+length)}. */
    public Builder image(int offset, int length) {
      images.add(new ImageSpan(offset, length));
      return this;
    }

    /** The output length limit; default 16. */
    public Builder maxNewTokens(int maxNewTokens) {
      this.maxNewTokens = maxNewTokens;
      return this;
    }

    /** Absolute deadline on the scheduler's nanosecond clock; default {@link #NO_DEADLINE}. */
    public Builder deadlineNanos(long deadlineNanos) {
      this.deadlineNanos = deadlineNanos;
      return this;
    }

    /**
     * Checks every field and builds the request.
     *
     * @throws InvalidRequestException naming the field if the id or tenant is empty, the prompt
     *     is empty or holds a negative id, {@code maxNewTokens < 1}, or the images overlap, are
     *     out of order or reach past the prompt
     */
    public Request build() {
      if (id == null || id.isEmpty()) {
        throw new InvalidRequestException("request id must not be empty");
      }
      if (tenant == null || tenant.isEmpty()) {
        throw new InvalidRequestException("tenant of request " + id + " must not be empty");
      }
      Objects.requireNonNull(promptTokenIds, "promptTokenIds");
      if (promptTokenIds.length == 0) {
        throw new InvalidRequestException("prompt of request " + id + " must not be empty");
      }
      if (Arrays.stream(promptTokenIds).anyMatch(t -> t < 0)) {
        throw new InvalidRequestException("prompt of request " + id + " holds a negative token id");
      }
      if (maxNewTokens < 1) {
        throw new InvalidRequestException(
            "maxNewTokens of request " + id + " must be >= 1, got " + maxNewTokens);
      }
      int previousEnd = 0;
      for (ImageSpan image : images) {
        if (image.offset() < previousEnd) {
          throw new InvalidRequestException(
              "images of request " + id + " overlap or are out of order at offset "
                  + image.offset());
        }
        if (image.end() > promptTokenIds.length) {
          throw new InvalidRequestException(
              "image at offset " + image.offset() + " of request " + id
                  + " ends past the prompt (" + promptTokenIds.length + " tokens)");
        }
        previousEnd = image.end();
      }
      return new Request(this);
    }
  }
}
