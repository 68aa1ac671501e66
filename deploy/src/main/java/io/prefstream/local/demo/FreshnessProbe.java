package io.prefstream.local.demo;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Measures freshness end to end: from an event's produce to the first moment the scorer serves a model of that
 * (user, domain) whose newest covered event time is at least the event's.
 *
 * <p>At most {@code maxKeys} events are tracked at a time, one per key, so that a polling round (one
 * {@code GET /v1/models/...} per tracked key) stays short: the measurement's own resolution is the round time, and
 * tracking every key of a large demo would make rounds of seconds. Results are kept with the time they were measured,
 * so quantiles can be taken over the recent part of a run. Thread-safe.
 */
public final class FreshnessProbe {
  private final ScorerHttpClient scorer;
  private final Map<String, long[]> pendingByKey = new LinkedHashMap<>();
  private final Deque<long[]> samples = new ArrayDeque<>(); // {measuredAtMs, freshnessMs}
  private final int maxKeys;
  private final long windowMs;

  public FreshnessProbe(ScorerHttpClient scorer, int maxKeys, long windowMs) {
    this.scorer = scorer;
    this.maxKeys = maxKeys;
    this.windowMs = windowMs;
  }

  /**
   * Starts tracking an event produced at {@code producedAtMs} with event time {@code eventTimeMs}, unless its key is
   * already tracked or the probe is full.
   */
  public synchronized void track(String userId, String domain, long eventTimeMs, long producedAtMs) {
    if (pendingByKey.size() >= maxKeys) {
      return;
    }
    pendingByKey.putIfAbsent(userId + "\u0000" + domain, new long[] {eventTimeMs, producedAtMs});
  }

  /** One round: asks the scorer about every tracked key and settles the events now covered. */
  public void poll() throws InterruptedException {
    List<String> keys;
    synchronized (this) {
      keys = new ArrayList<>(pendingByKey.keySet());
    }
    for (String key : keys) {
      int sep = key.indexOf('\u0000');
      OptionalLong newest;
      try {
        newest = scorer.newestEventTime(key.substring(0, sep), key.substring(sep + 1));
      } catch (java.io.IOException e) {
        continue; // the scorer may be starting or swapping; the next round asks again
      }
      long now = System.currentTimeMillis();
      if (newest.isEmpty()) {
        continue;
      }
      synchronized (this) {
        long[] e = pendingByKey.get(key);
        if (e != null && e[0] <= newest.getAsLong()) {
          samples.addLast(new long[] {now, now - e[1]});
          pendingByKey.remove(key);
        }
      }
    }
  }

  /** Samples measured in the last window. */
  public synchronized int samples() {
    prune(System.currentTimeMillis());
    return samples.size();
  }

  /** The q-quantile (q in [0, 1]) of freshness in ms over the last window; NaN without samples. */
  public synchronized double quantileMs(double q) {
    prune(System.currentTimeMillis());
    if (samples.isEmpty()) {
      return Double.NaN;
    }
    List<Long> sorted = new ArrayList<>(samples.size());
    for (long[] s : samples) {
      sorted.add(s[1]);
    }
    Collections.sort(sorted);
    int idx = (int) Math.min(sorted.size() - 1, Math.max(0, Math.ceil(q * sorted.size()) - 1));
    return sorted.get(idx);
  }

  private void prune(long nowMs) {
    while (!samples.isEmpty() && samples.peekFirst()[0] < nowMs - windowMs) {
      samples.removeFirst();
    }
  }
}
