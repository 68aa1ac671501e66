package io.prefstream.local.soak;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the process holds: the Java heap that is still live after a full collection (so garbage waiting for the next
 * cycle does not look like growth), and the resident set, which also covers native memory (PyTorch, ONNX Runtime,
 * RocksDB) where a leak would not show in the heap.
 */
final class MemoryProbe {
  private static final Path STATUS = Path.of("/proc/self/status");

  /** Live heap in MiB, measured right after a full collection this call requests. */
  double liveHeapMiB() {
    ManagementFactory.getMemoryMXBean().gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / (1024.0 * 1024);
  }

  /** Resident set size in MiB, or NaN where {@code /proc/self/status} does not exist (not Linux). */
  double residentMiB() {
    try {
      for (String line : Files.readAllLines(STATUS)) {
        if (line.startsWith("VmRSS:")) {
          String kb = line.substring("VmRSS:".length()).trim().split("\\s+")[0];
          return Long.parseLong(kb) / 1024.0;
        }
      }
      return Double.NaN;
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }
}
