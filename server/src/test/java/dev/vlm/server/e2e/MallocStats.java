package dev.vlm.server.e2e;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Bytes the C allocator has handed out and not had back, from glibc's {@code mallinfo2}: what
 * ONNX Runtime and the JVM's own native code hold, without the freed pages glibc keeps resident
 * for reuse. Resident set size minus the heap mixes both with the Java heap's paging, so a run
 * that frees everything can still show tens of megabytes more or less; this figure cannot.
 */
final class MallocStats {
  private static final MemoryLayout MALLINFO2 = MemoryLayout.structLayout(
      field("arena"), field("ordblks"), field("smblks"), field("hblks"), field("hblkhd"), field("usmblks"),
      field("fsmblks"), field("uordblks"), field("fordblks"), field("keepcost"));
  /** In use in blocks of their own (mmapped). */
  private static final long HBLKHD = MALLINFO2.byteOffset(MemoryLayout.PathElement.groupElement("hblkhd"));
  /** In use from the arenas. */
  private static final long UORDBLKS = MALLINFO2.byteOffset(MemoryLayout.PathElement.groupElement("uordblks"));
  private static final Optional<MethodHandle> MALLINFO2_CALL = lookup();

  private MallocStats() {}

  /** Bytes in use, or empty where glibc's {@code mallinfo2} is absent. */
  static Optional<Long> inUseBytes() {
    return MALLINFO2_CALL.map(handle -> {
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment info = (MemorySegment) handle.invokeExact((java.lang.foreign.SegmentAllocator) arena);
        return info.get(ValueLayout.JAVA_LONG, UORDBLKS) + info.get(ValueLayout.JAVA_LONG, HBLKHD);
      } catch (Throwable t) {
        throw new IllegalStateException("mallinfo2 failed", t);
      }
    });
  }

  private static MemoryLayout field(String name) {
    return ValueLayout.JAVA_LONG.withName(name); // size_t on the 64-bit systems this runs on
  }

  private static Optional<MethodHandle> lookup() {
    Linker linker = Linker.nativeLinker();
    return linker.defaultLookup().find("mallinfo2")
        .map(symbol -> linker.downcallHandle(symbol, FunctionDescriptor.of(MALLINFO2)));
  }
}
