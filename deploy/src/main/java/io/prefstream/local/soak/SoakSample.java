package io.prefstream.local.soak;

import java.util.Map;

/**
 * One interval of a soak run. Counters are cumulative since the start; rates, latencies and freshness are this
 * interval's.
 *
 * @param atSeconds seconds since traffic started, at the end of the interval
 * @param lagByGroup records behind per consumer group at the end of the interval
 * @param scoreP50Ms scoring round trips over HTTP in this interval (NaN when none)
 * @param liveHeapMiB heap still live after a full collection
 * @param residentMiB the process's resident set (heap, native libraries, RocksDB)
 */
public record SoakSample(
    double atSeconds,
    long eventsSent,
    long sendErrors,
    long ingestEventsIn,
    long eventsLearned,
    long checkpoints,
    long hotSwaps,
    double ingestEventsPerSec,
    double learnedEventsPerSec,
    Map<String, Long> lagByGroup,
    long scoreRequests,
    double scoreP50Ms,
    double scoreP99Ms,
    double scoreMaxMs,
    long scoreErrors,
    double freshnessP50Ms,
    double freshnessP99Ms,
    double liveHeapMiB,
    double residentMiB) {

  public SoakSample {
    lagByGroup = Map.copyOf(lagByGroup);
  }

  public long totalLag() {
    return lagByGroup.values().stream().mapToLong(Long::longValue).sum();
  }
}
