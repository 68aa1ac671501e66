package io.prefstream.scorer.bench;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import java.util.concurrent.TimeUnit;

/**
 * The service's own latency histogram ({@code prefstream.scorer.request{path=http}}: handler start to reply written),
 * read before and after a window so the window's server-side p99 can be told apart from client, socket and scheduling
 * delay. Micrometer's buckets make it an upper bound: the bucket edge at or above the true p99.
 */
final class ServerHistogram {
  private final MeterRegistry registry;

  ServerHistogram(MeterRegistry registry) {
    this.registry = registry;
  }

  CountAtBucket[] snapshot() {
    Timer t = registry.find("prefstream.scorer.request").tag("path", "http").timer();
    if (t == null) {
      return new CountAtBucket[0];
    }
    HistogramSnapshot s = t.takeSnapshot();
    return s.histogramCounts();
  }

  /** The p-th percentile's bucket edge in ms between two snapshots, or NaN when nothing was recorded. */
  static double percentileMs(CountAtBucket[] before, CountAtBucket[] after, double p) {
    if (after.length == 0) {
      return Double.NaN;
    }
    double total = after[after.length - 1].count() - (before.length == 0 ? 0 : before[before.length - 1].count());
    // Buckets are cumulative; the last bucket may not cover everything, so use the largest count seen.
    double max = 0;
    for (int i = 0; i < after.length; i++) {
      max = Math.max(max, after[i].count() - (before.length == 0 ? 0 : before[i].count()));
    }
    total = Math.max(total, max);
    if (total <= 0) {
      return Double.NaN;
    }
    for (int i = 0; i < after.length; i++) {
      double c = after[i].count() - (before.length == 0 ? 0 : before[i].count());
      if (c >= p / 100.0 * total) {
        return after[i].bucket(TimeUnit.MILLISECONDS);
      }
    }
    return Double.POSITIVE_INFINITY;
  }
}
