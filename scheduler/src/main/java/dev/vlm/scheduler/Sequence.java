package dev.vlm.scheduler;

import dev.vlm.scheduler.kv.BlockTable;
import java.util.Arrays;
import java.util.Comparator;

/**
 * A request's mutable scheduling state: its tokens so far (prompt, then generated), how many of
 * them have KV computed, its blocks, and where it is in its life. Owned by one {@link
 * Scheduler}; not thread-safe.
 */
final class Sequence {
  /**
   * Order among one tenant's runnable sequences: higher priority first, then earlier arrival.
   * Across tenants the scheduler orders by service received first.
   */
  static final Comparator<Sequence> SERVICE_ORDER =
      Comparator.comparingInt((Sequence s) -> -s.request.priority())
          .thenComparingLong(s -> s.arrival);

  enum State {
    WAITING,
    RUNNING,
    FINISHED
  }

  final Request request;
  final long arrival;
  final BlockTable blocks = new BlockTable();
  private final int[] tokens;
  private int numTokens;
  private State state = State.WAITING;
  private boolean everAdmitted;
  // Positions whose KV the engine has (or will have after the step in flight).
  private int numComputed;
  // numTokens when last admitted: chunks before this point are prefill, after it decode.
  private int prefillEnd;
  // Images encoded since the last admission; images are encoded in prompt order.
  private int encodedImages;
  private int preemptions;

  Sequence(Request request, long arrival) {
    this.request = request;
    this.arrival = arrival;
    // Prompt plus every token that can ever be generated, so the array never grows.
    this.tokens = Arrays.copyOf(request.promptTokenIds(), request.promptLength() + request.maxNewTokens());
    this.numTokens = request.promptLength();
  }

  String id() {
    return request.id();
  }

  State state() {
    return state;
  }

  int numTokens() {
    return numTokens;
  }

  int numComputed() {
    return numComputed;
  }

  int generated() {
    return numTokens - request.promptLength();
  }

  int encodedImages() {
    return encodedImages;
  }

  int preemptions() {
    return preemptions;
  }

  boolean isDecoding() {
    return numComputed >= prefillEnd;
  }

  /** Returns true the first time the sequence is admitted. */
  boolean admit() {
    state = State.RUNNING;
    prefillEnd = numTokens;
    boolean first = !everAdmitted;
    everAdmitted = true;
    return first;
  }

  void advance(int newComputed, int newlyEncodedImages) {
    numComputed = newComputed;
    encodedImages += newlyEncodedImages;
  }

  /** Drops all computed state; the caller has already freed the blocks. */
  int preempt() {
    int lost = numComputed;
    numComputed = 0;
    encodedImages = 0;
    state = State.WAITING;
    preemptions++;
    return lost;
  }

  void append(int tokenId) {
    tokens[numTokens++] = tokenId;
  }

  boolean reachedMaxTokens() {
    return generated() >= request.maxNewTokens();
  }

  void markFinished() {
    state = State.FINISHED;
  }

  int[] tokenIds(int from, int to) {
    return Arrays.copyOfRange(tokens, from, to);
  }

  @Override
  public String toString() {
    return request.id() + "[" + state + " " + numComputed + "/" + numTokens + "]";
  }
}
