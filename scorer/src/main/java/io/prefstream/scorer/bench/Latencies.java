package io.prefstream.scorer.bench;

import java.util.Arrays;

/** Latency samples in nanoseconds, appended from many threads; percentiles by sorting (exact, not estimated). */
final class Latencies {
  private long[] samples = new long[1 << 14];
  private int size;

  synchronized void add(long nanos) {
    if (size == samples.length) {
      samples = Arrays.copyOf(samples, size * 2);
    }
    samples[size++] = nanos;
  }

  void addAll(Latencies other) {
    long[] copy;
    int n;
    synchronized (other) {
      copy = other.samples;
      n = other.size;
    }
    for (int i = 0; i < n; i++) {
      add(copy[i]);
    }
  }

  synchronized int count() {
    return size;
  }

  /** The p-th percentile (0..100) in milliseconds, nearest-rank; NaN when empty. */
  synchronized double percentileMs(double p) {
    if (size == 0) {
      return Double.NaN;
    }
    long[] sorted = Arrays.copyOf(samples, size);
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * size);
    return sorted[Math.max(0, Math.min(size - 1, rank - 1))] / 1e6;
  }
}
