package dev.vlm.server.engine;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Native memory for cache tensors of one element type, indexed in elements. It is freed when
 * {@link #close} is called (an FFM {@link Arena}), not when the garbage collector gets to it, so
 * an unloaded model's KV memory is back before the next model allocates. Tensors viewing it must
 * be closed before it is. Not thread-safe.
 */
final class KvBuffer implements AutoCloseable {
  private final ElementType type;
  private final Arena arena;
  private final MemorySegment memory;
  private final long capacity;

  private KvBuffer(ElementType type, Arena arena, MemorySegment memory, long capacity) {
    this.type = type;
    this.arena = arena;
    this.memory = memory;
    this.capacity = capacity;
  }

  /**
   * Zeroed memory for {@code elements} elements of {@code type}.
   *
   * @throws EngineException if the memory cannot be had
   */
  static KvBuffer allocate(ElementType type, long elements) {
    Arena arena = Arena.ofShared();
    try {
      long bytes = Math.max(1, elements) * type.bytes();
      MemorySegment memory = arena.allocate(bytes, 64);
      return new KvBuffer(type, arena, memory, elements);
    } catch (OutOfMemoryError | IllegalArgumentException e) {
      arena.close();
      throw new EngineException("cannot allocate " + elements * type.bytes() + " bytes of KV cache: " + e.getMessage(), e);
    }
  }

  /**
   * A view of {@code direct} (a direct buffer, native order) as elements of {@code type}; the
   * buffer keeps its memory, and closing the view frees nothing.
   */
  static KvBuffer over(ElementType type, ByteBuffer direct) {
    return new KvBuffer(type, null, MemorySegment.ofBuffer(direct), direct.capacity() / type.bytes());
  }

  ElementType type() {
    return type;
  }

  /** Elements it holds. */
  long capacity() {
    return capacity;
  }

  /** Bytes it holds. */
  long bytes() {
    return capacity * type.bytes();
  }

  /** Copies {@code count} elements from {@code source} at {@code from} to this at {@code to}. */
  void copy(long to, KvBuffer source, long from, long count) {
    MemorySegment.copy(source.memory, from * type.bytes(), memory, to * type.bytes(), count * type.bytes());
  }

  /** Copies {@code count} elements from raw bytes (native order, this type) at element {@code from}. */
  void copy(long to, ByteBuffer source, long from, long count) {
    MemorySegment.copy(MemorySegment.ofBuffer(source), from * type.bytes(), memory, to * type.bytes(), count * type.bytes());
  }

  void zero(long index, long count) {
    if (count > 0) {
      memory.asSlice(index * type.bytes(), count * type.bytes()).fill((byte) 0);
    }
  }

  /** A tensor of {@code shape} viewing this memory from element {@code index}; no copy. */
  OnnxTensor tensor(OrtEnvironment env, long index, long[] shape) throws OrtException {
    long elements = 1;
    for (long d : shape) {
      elements *= d;
    }
    ByteBuffer view = memory.asSlice(index * type.bytes(), Math.max(1, elements) * type.bytes())
        .asByteBuffer().order(ByteOrder.nativeOrder());
    if (elements == 0) {
      view.limit(0);
    }
    return OnnxTensor.createTensor(env, view, shape, type.javaType());
  }

  /** Frees the memory now (a view of a buffer: nothing). */
  @Override
  public void close() {
    if (arena != null) {
      arena.close();
    }
  }

  /** Closes a buffer that may be null. */
  static void closeQuietly(KvBuffer buffer) {
    if (buffer != null) {
      buffer.close();
    }
  }
}
