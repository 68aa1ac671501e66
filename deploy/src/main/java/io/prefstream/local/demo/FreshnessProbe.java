package io.prefstream.local.demo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Measures freshness end to end: from an event's produce to the first moment the scorer serves a model of that
 * (user, domain) whose newest covered event time is at least the event's. Sampled events are tracked; {@link #poll}
 * asks the scorer once per tracked key. Thread-safe.
 */
public final class FreshnessProbe {
  private final ScorerHttpClient scorer;
  private final Map<String, List<long[]>> pendingByKey = new HashMap<>();
  private final List<Long> samplesMs = new ArrayList<>();
  private final int maxPending;
  private int pending;

  public FreshnessProbe(ScorerHttpClient scorer, int maxPending) {
    this.scorer = scorer;
    this.maxPending = maxPending;
  }

  /** Starts tracking an event produced at {@code producedAtMs} with event time {@code eventTimeMs}. */
  public synchronized void track(String userId, String domain, long eventTimeMs, long producedAtMs) {
    if (pending >= maxPending) {
      return;
    }
    pendingByKey.computeIfAbsent(userId + "\u0000" + domain, k -> new ArrayList<>())
        .add(new long[] {eventTimeMs, producedAtMs});
    pending++;
  }

  /** One round: asks the scorer about every key with tracked events and settles those now covered. */
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
        List<long[]> list = pendingByKey.get(key);
        if (list == null) {
          continue;
        }
        for (Iterator<long[]> it = list.iterator(); it.hasNext(); ) {
          long[] e = it.next();
          if (e[0] <= newest.getAsLong()) {
            samplesMs.add(now - e[1]);
            it.remove();
            pending--;
          }
        }
        if (list.isEmpty()) {
          pendingByKey.remove(key);
        }
      }
    }
  }

  public synchronized int samples() {
    return samplesMs.size();
  }

  /** The q-quantile of measured freshness in ms (q in [0, 1]); NaN before any sample. */
  public synchronized double quantileMs(double q) {
    if (samplesMs.isEmpty()) {
      return Double.NaN;
    }
    List<Long> sorted = new ArrayList<>(samplesMs);
    Collections.sort(sorted);
    int idx = (int) Math.min(sorted.size() - 1, Math.max(0, Math.ceil(q * sorted.size()) - 1));
    return sorted.get(idx);
  }
}
