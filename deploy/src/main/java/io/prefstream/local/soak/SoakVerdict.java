package io.prefstream.local.soak;

import java.util.List;

/**
 * Whether a soak run stayed healthy, judged on the samples after the warm-up split into two halves: a system that
 * keeps up shows no more lag and no more memory in the second half than in the first, beyond noise.
 *
 * <ul>
 *   <li>lag bounded: the second half's largest total lag ≤ max(1.5 × the first half's largest, 5 s of traffic);
 *   <li>memory flat: the second half's mean live heap ≤ 1.10 × the first half's + 32 MiB, and its mean resident set
 *       ≤ 1.10 × the first half's + 64 MiB (native memory grows in steps as RocksDB and the engines warm up).
 * </ul>
 */
public record SoakVerdict(
    int samplesJudged,
    long maxLagFirstHalf,
    long maxLagSecondHalf,
    long lagBound,
    boolean lagBounded,
    double liveHeapMiBFirstHalf,
    double liveHeapMiBSecondHalf,
    double residentMiBFirstHalf,
    double residentMiBSecondHalf,
    boolean memoryFlat) {

  static final double LAG_GROWTH = 1.5;
  static final double LAG_FLOOR_SECONDS = 5;
  static final double MEMORY_GROWTH = 1.10;
  static final double HEAP_SLACK_MIB = 32;
  static final double RESIDENT_SLACK_MIB = 64;

  /** Judges the samples taken after {@code warmupSeconds}; needs at least two of them. */
  public static SoakVerdict judge(List<SoakSample> samples, double warmupSeconds, double eventsPerSecond) {
    List<SoakSample> judged = samples.stream().filter(s -> s.atSeconds() > warmupSeconds).toList();
    if (judged.size() < 2) {
      throw new IllegalArgumentException("a verdict needs at least 2 samples after the " + warmupSeconds
          + " s warm-up, got " + judged.size() + "; run longer or sample more often");
    }
    List<SoakSample> first = judged.subList(0, judged.size() / 2);
    List<SoakSample> second = judged.subList(judged.size() / 2, judged.size());
    long maxFirst = first.stream().mapToLong(SoakSample::totalLag).max().orElse(0);
    long maxSecond = second.stream().mapToLong(SoakSample::totalLag).max().orElse(0);
    long bound = (long) Math.max(LAG_GROWTH * maxFirst, LAG_FLOOR_SECONDS * eventsPerSecond);
    double heapFirst = mean(first, SoakSample::liveHeapMiB);
    double heapSecond = mean(second, SoakSample::liveHeapMiB);
    double rssFirst = mean(first, SoakSample::residentMiB);
    double rssSecond = mean(second, SoakSample::residentMiB);
    boolean heapFlat = heapSecond <= MEMORY_GROWTH * heapFirst + HEAP_SLACK_MIB;
    boolean rssFlat = Double.isNaN(rssFirst) || rssSecond <= MEMORY_GROWTH * rssFirst + RESIDENT_SLACK_MIB;
    return new SoakVerdict(judged.size(), maxFirst, maxSecond, bound, maxSecond <= bound,
        heapFirst, heapSecond, rssFirst, rssSecond, heapFlat && rssFlat);
  }

  private static double mean(List<SoakSample> samples, java.util.function.ToDoubleFunction<SoakSample> f) {
    return samples.stream().mapToDouble(f).average().orElse(Double.NaN);
  }
}
