package io.prefstream.ingest.bench;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * CPU time of every thread in this JVM, to show where a benchmark phase spent its CPU (stream threads, broker
 * request handlers, client I/O threads). Thread numbers are folded so that a pool reads as one line.
 */
final class ThreadCpu {
  private final Map<String, Long> nanosByThread;

  private ThreadCpu(Map<String, Long> nanosByThread) {
    this.nanosByThread = nanosByThread;
  }

  static ThreadCpu snapshot() {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    Map<String, Long> out = new HashMap<>();
    for (ThreadInfo ti : mx.getThreadInfo(mx.getAllThreadIds())) {
      if (ti != null) {
        out.put(ti.getThreadName() + "#" + ti.getThreadId(), Math.max(0, mx.getThreadCpuTime(ti.getThreadId())));
      }
    }
    return new ThreadCpu(out);
  }

  /** Prints the CPU seconds spent since {@code before}, by thread pool, largest first. */
  void printSince(ThreadCpu before, String phase, double wallSeconds, PrintStream out) {
    Map<String, Long> byPool = new TreeMap<>();
    nanosByThread.forEach((thread, nanos) -> byPool.merge(thread.substring(0, thread.lastIndexOf('#'))
        .replaceAll("[0-9]+", "N"), nanos - before.nanosByThread.getOrDefault(thread, 0L), Long::sum));
    long total = byPool.values().stream().mapToLong(Long::longValue).sum();
    out.printf("CPU in %s: %.2f s over %.2f s wall%n", phase, total / 1e9, wallSeconds);
    byPool.entrySet().stream()
        .filter(e -> e.getValue() > 20_000_000L)
        .sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
        .forEach(e -> out.printf("  %6.2f s  %s%n", e.getValue() / 1e9, e.getKey()));
  }
}
