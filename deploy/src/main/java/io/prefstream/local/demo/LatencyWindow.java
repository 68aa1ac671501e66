package io.prefstream.local.demo;

import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Latencies recorded since the last {@link #drain()}: a reader takes one interval's samples at a time, so a long run
 * reports percentiles per interval instead of one blended figure. Bounded: past {@code capacity} samples in one
 * interval it keeps a uniform reservoir, so memory stays flat however long the run.
 */
public final class LatencyWindow {
  private final int capacity;
  private long[] nanos;
  private int size;
  private long seen;

  public LatencyWindow(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity " + capacity + " must be at least 1");
    }
    this.capacity = capacity;
    this.nanos = new long[Math.min(capacity, 1024)];
  }

  public synchronized void record(long latencyNanos) {
    seen++;
    if (size < capacity) {
      if (size == nanos.length) {
        nanos = Arrays.copyOf(nanos, Math.min(capacity, nanos.length * 2));
      }
      nanos[size++] = latencyNanos;
      return;
    }
    long slot = ThreadLocalRandom.current().nextLong(seen);
    if (slot < capacity) {
      nanos[(int) slot] = latencyNanos;
    }
  }

  /** This interval's samples (sorted, in nanoseconds) and how many were recorded; starts a new interval. */
  public synchronized Interval drain() {
    long[] sorted = Arrays.copyOf(nanos, size);
    Arrays.sort(sorted);
    Interval interval = new Interval(sorted, seen);
    size = 0;
    seen = 0;
    return interval;
  }

  /** One interval's latencies. */
  public record Interval(long[] sortedNanos, long count) {
    /** The q-quantile in milliseconds (nearest rank), NaN when the interval had no samples. */
    public double quantileMs(double q) {
      if (sortedNanos.length == 0) {
        return Double.NaN;
      }
      int rank = (int) Math.ceil(q * sortedNanos.length) - 1;
      return sortedNanos[Math.max(0, Math.min(sortedNanos.length - 1, rank))] / 1e6;
    }
  }
}
