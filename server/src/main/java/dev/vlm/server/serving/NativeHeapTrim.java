package dev.vlm.server.serving;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Hands memory freed by closed ONNX Runtime sessions back to the operating system. glibc's
 * allocator keeps freed blocks in its per-thread arenas; the loop and load threads of each
 * model get arenas of their own, so without a trim the process's resident memory creeps up
 * across load/unload cycles even though every session was closed. Does nothing where
 * {@code malloc_trim} does not exist (other C libraries, other systems).
 */
final class NativeHeapTrim {
  private static final Logger log = Logger.getLogger(NativeHeapTrim.class.getName());
  private static final Optional<MethodHandle> MALLOC_TRIM = lookup();

  private NativeHeapTrim() {}

  /** Returns free heap pages of every arena to the OS; best effort. */
  static void trim() {
    MALLOC_TRIM.ifPresent(handle -> {
      try {
        int unused = (int) handle.invokeExact(0L);
      } catch (Throwable t) {
        log.log(Level.FINE, "malloc_trim failed", t);
      }
    });
  }

  private static Optional<MethodHandle> lookup() {
    try {
      Linker linker = Linker.nativeLinker();
      return linker.defaultLookup().find("malloc_trim")
          .map(symbol -> linker.downcallHandle(symbol, FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG)));
    } catch (RuntimeException e) {
      log.log(Level.FINE, "malloc_trim unavailable", e);
      return Optional.empty();
    }
  }
}
