package io.prefstream.local.soak;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.prefstream.local.demo.LatencyWindow;
import io.prefstream.protocol.json.Json;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToLongFunction;

/** A soak run's samples, its overall figures after the warm-up, and the verdicts. */
public record SoakReport(SoakConfig config, List<SoakSample> samples, LatencyWindow.Interval judgedLatencies) {

  public SoakReport {
    samples = List.copyOf(samples);
  }

  public SoakVerdict verdict() {
    return SoakVerdict.judge(samples, config.warmup().toSeconds(), config.eventsPerSecond());
  }

  /** Mean rate over the judged part of the run (after the warm-up), from the cumulative counters. */
  double judgedRate(ToLongFunction<SoakSample> counter) {
    SoakSample from = null;
    for (SoakSample s : samples) {
      if (s.atSeconds() <= config.warmup().toSeconds()) {
        from = s;
      }
    }
    SoakSample to = samples.get(samples.size() - 1);
    double seconds = to.atSeconds() - (from == null ? 0 : from.atSeconds());
    long counted = counter.applyAsLong(to) - (from == null ? 0 : counter.applyAsLong(from));
    return seconds <= 0 ? Double.NaN : counted / seconds;
  }

  static String header() {
    return String.format(Locale.ROOT, "%7s %9s %9s %9s %8s %8s %9s %9s %9s %6s %10s %10s %9s %9s",
        "t(s)", "sent", "ingest/s", "learn/s", "ckpts", "swaps", "lag", "score50", "score99", "errs",
        "fresh50", "fresh99", "heapMiB", "rssMiB");
  }

  static String row(SoakSample s) {
    return String.format(Locale.ROOT, "%7.0f %9d %9.0f %9.0f %8d %8d %9d %9.1f %9.1f %6d %10.0f %10.0f %9.0f %9.0f",
        s.atSeconds(), s.eventsSent(), s.ingestEventsPerSec(), s.learnedEventsPerSec(), s.checkpoints(),
        s.hotSwaps(), s.totalLag(), s.scoreP50Ms(), s.scoreP99Ms(), s.scoreErrors(), s.freshnessP50Ms(),
        s.freshnessP99Ms(), s.liveHeapMiB(), s.residentMiB());
  }

  /** The verdict lines a person reads at the end. */
  public List<String> conclusion() {
    SoakVerdict v = verdict();
    return List.of(
        String.format(Locale.ROOT, "after the %d s warm-up (%d samples): ingest %.0f events/s, learner %.0f events/s "
                + "(target rate %.0f)", config.warmup().toSeconds(), v.samplesJudged(),
            judgedRate(SoakSample::ingestEventsIn), judgedRate(SoakSample::eventsLearned), config.eventsPerSecond()),
        String.format(Locale.ROOT, "scoring over HTTP: %d requests, p50 %.1f ms, p99 %.1f ms, max %.1f ms, %d errors",
            judgedLatencies.count(), judgedLatencies.quantileMs(0.50), judgedLatencies.quantileMs(0.99),
            judgedLatencies.quantileMs(1.0), samples.get(samples.size() - 1).scoreErrors()),
        String.format(Locale.ROOT, "consumer lag: max %d records in the first half, %d in the second (bound %d): %s",
            v.maxLagFirstHalf(), v.maxLagSecondHalf(), v.lagBound(), v.lagBounded() ? "BOUNDED" : "GROWING"),
        String.format(Locale.ROOT, "memory: live heap %.0f -> %.0f MiB, resident %.0f -> %.0f MiB (half means): %s",
            v.liveHeapMiBFirstHalf(), v.liveHeapMiBSecondHalf(), v.residentMiBFirstHalf(), v.residentMiBSecondHalf(),
            v.memoryFlat() ? "FLAT" : "GROWING"));
  }

  public String toJson() {
    SoakVerdict v = verdict();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("durationSeconds", config.duration().toSeconds());
    m.put("warmupSeconds", config.warmup().toSeconds());
    m.put("targetEventsPerSec", config.eventsPerSecond());
    m.put("ingestEventsPerSec", finite(judgedRate(SoakSample::ingestEventsIn)));
    m.put("learnedEventsPerSec", finite(judgedRate(SoakSample::eventsLearned)));
    m.put("scoreRequests", judgedLatencies.count());
    m.put("scoreP50Ms", finite(judgedLatencies.quantileMs(0.50)));
    m.put("scoreP99Ms", finite(judgedLatencies.quantileMs(0.99)));
    m.put("scoreMaxMs", finite(judgedLatencies.quantileMs(1.0)));
    m.put("scoreErrors", samples.get(samples.size() - 1).scoreErrors());
    m.put("sendErrors", samples.get(samples.size() - 1).sendErrors());
    m.put("maxLagFirstHalf", v.maxLagFirstHalf());
    m.put("maxLagSecondHalf", v.maxLagSecondHalf());
    m.put("lagBound", v.lagBound());
    m.put("lagBounded", v.lagBounded());
    m.put("liveHeapMiBFirstHalf", finite(v.liveHeapMiBFirstHalf()));
    m.put("liveHeapMiBSecondHalf", finite(v.liveHeapMiBSecondHalf()));
    m.put("residentMiBFirstHalf", finite(v.residentMiBFirstHalf()));
    m.put("residentMiBSecondHalf", finite(v.residentMiBSecondHalf()));
    m.put("memoryFlat", v.memoryFlat());
    m.put("samples", samples.stream().map(SoakReport::sampleJson).toList());
    try {
      return Json.MAPPER.writeValueAsString(m);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Map<String, Object> sampleJson(SoakSample s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("t", Math.round(s.atSeconds()));
    m.put("eventsSent", s.eventsSent());
    m.put("ingestEventsPerSec", finite(s.ingestEventsPerSec()));
    m.put("learnedEventsPerSec", finite(s.learnedEventsPerSec()));
    m.put("checkpoints", s.checkpoints());
    m.put("lagByGroup", s.lagByGroup());
    m.put("scoreP50Ms", finite(s.scoreP50Ms()));
    m.put("scoreP99Ms", finite(s.scoreP99Ms()));
    m.put("freshnessP50Ms", finite(s.freshnessP50Ms()));
    m.put("freshnessP99Ms", finite(s.freshnessP99Ms()));
    m.put("liveHeapMiB", finite(s.liveHeapMiB()));
    m.put("residentMiB", finite(s.residentMiB()));
    return m;
  }

  private static Double finite(double v) {
    return Double.isFinite(v) ? v : null;
  }
}
