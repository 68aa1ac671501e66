package io.prefstream.local;

import io.prefstream.local.demo.DemoDriver;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** Turns the services' meters and the demo's measurements into the status board's lines and the run summary. */
final class LocalStatus {

  private final MeterReadings ingest;
  private final MeterReadings learner;
  private final MeterReadings scorer;
  private final DemoDriver demo;
  private double lastEventsIn;
  private long lastAtNanos = System.nanoTime();

  LocalStatus(MeterReadings ingest, MeterReadings learner, MeterReadings scorer, DemoDriver demo) {
    this.ingest = ingest;
    this.learner = learner;
    this.scorer = scorer;
    this.demo = demo;
  }

  List<String> lines() {
    double eventsIn = ingest.counterSum(PipelineMeters.INGEST_EVENTS_IN);
    long now = System.nanoTime();
    double rate = (eventsIn - lastEventsIn) / Math.max(1e-3, (now - lastAtNanos) / 1e9);
    lastEventsIn = eventsIn;
    lastAtNanos = now;
    List<String> lines = new ArrayList<>();
    lines.add(String.format(Locale.ROOT,
        "events in %,10.0f (%6.0f/s) | batches %,8.0f | learned %,10.0f | checkpoints %,8.0f | hot-swaps %,8.0f",
        eventsIn, rate, ingest.counterSum(PipelineMeters.INGEST_BATCHES_OUT), learner.counterSum(PipelineMeters.LEARNER_EVENTS_LEARNED),
        learner.counterSum(PipelineMeters.LEARNER_CHECKPOINTS), scorer.counterSum(PipelineMeters.SCORER_SWAPS)));
    lines.add(String.format(Locale.ROOT, "progressive accuracy (learner, recent) %s | serving base v%.0f",
        percent(learner.gauge(PipelineMeters.LEARNER_PROGRESSIVE_ACCURACY)),
        scorer.gauge(PipelineMeters.SCORER_BASE_VERSION)));
    if (demo != null) {
      StringBuilder sb = new StringBuilder("right top answer: generic model ")
          .append(percent(demo.genericTopAccuracy())).append(" | customized");
      for (Map.Entry<String, Double> e : new TreeMap<>(demo.topAccuracyByStyle()).entrySet()) {
        sb.append(' ').append(e.getKey()).append(' ').append(percent(e.getValue()));
      }
      lines.add(sb.toString());
      lines.add(String.format(Locale.ROOT, "freshness (event -> serving model) p50 %s  p99 %s  (%d samples)",
          millis(demo.freshness().quantileMs(0.50)), millis(demo.freshness().quantileMs(0.99)),
          demo.freshness().samples()));
    }
    return lines;
  }

  LocalSummary summary() {
    Map<String, Double> byStyle = demo == null ? Map.of() : new TreeMap<>(demo.topAccuracyByStyle());
    return new LocalSummary(
        (long) ingest.counterSum(PipelineMeters.INGEST_EVENTS_IN),
        (long) learner.counterSum(PipelineMeters.LEARNER_CHECKPOINTS),
        (long) scorer.counterSum(PipelineMeters.SCORER_SWAPS),
        learner.gauge(PipelineMeters.LEARNER_PROGRESSIVE_ACCURACY),
        demo == null ? Double.NaN : demo.genericTopAccuracy(),
        byStyle,
        demo == null ? Double.NaN : demo.freshness().quantileMs(0.50),
        demo == null ? Double.NaN : demo.freshness().quantileMs(0.99),
        demo == null ? 0 : demo.freshness().samples(),
        demo == null ? 0 : demo.scoredSamples(),
        (long) scorer.gauge(PipelineMeters.SCORER_BASE_VERSION));
  }

  private static String percent(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%5.1f%%", 100 * v) : "  n/a";
  }

  private static String millis(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%,.0f ms", v) : "n/a";
  }
}
