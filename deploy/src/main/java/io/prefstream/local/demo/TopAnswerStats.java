package io.prefstream.local.demo;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The demo's quality measure: how often the scorer ranks the response in the user's own style first, per style,
 * over a sliding time window, next to the same rate for the generic model. Thread-safe.
 */
public final class TopAnswerStats {
  private final long windowMs;
  private final Map<String, Deque<long[]>> byStyle = new LinkedHashMap<>();
  private final Deque<long[]> generic = new ArrayDeque<>();

  public TopAnswerStats(long windowMs) {
    this.windowMs = windowMs;
    for (String s : DspQueries.STYLES) {
      byStyle.put(s, new ArrayDeque<>());
    }
  }

  public synchronized void record(String style, boolean customizedTopRight, boolean genericTopRight, long nowMs) {
    byStyle.get(style).addLast(new long[] {nowMs, customizedTopRight ? 1 : 0});
    generic.addLast(new long[] {nowMs, genericTopRight ? 1 : 0});
  }

  /** Rate of right top answers per style over the window ending at {@code nowMs}; NaN where nothing was scored. */
  public synchronized Map<String, Double> byStyle(long nowMs) {
    Map<String, Double> out = new LinkedHashMap<>();
    byStyle.forEach((style, q) -> out.put(style, rate(q, nowMs)));
    return out;
  }

  public synchronized double generic(long nowMs) {
    return rate(generic, nowMs);
  }

  public synchronized long samples(long nowMs) {
    evict(generic, nowMs);
    return generic.size();
  }

  private double rate(Deque<long[]> q, long nowMs) {
    evict(q, nowMs);
    if (q.isEmpty()) {
      return Double.NaN;
    }
    long right = 0;
    for (long[] e : q) {
      right += e[1];
    }
    return (double) right / q.size();
  }

  private void evict(Deque<long[]> q, long nowMs) {
    while (!q.isEmpty() && q.peekFirst()[0] < nowMs - windowMs) {
      q.pollFirst();
    }
  }
}
