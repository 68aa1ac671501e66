package io.prefstream.local.soak;

import io.prefstream.local.LocalConfig;
import io.prefstream.local.LocalMode;
import io.prefstream.local.MeterReadings;
import io.prefstream.local.PipelineMeters;
import io.prefstream.local.StatusBoard;
import io.prefstream.local.demo.DemoDriver;
import io.prefstream.local.demo.LatencyWindow;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The soak benchmark: the whole pipeline (broker, ingest, learner, scorer, in one process as local mode runs it) under
 * the demo's event traffic at a fixed rate with its scoring load beside it, sampled every interval: throughput,
 * consumer lag of every group, scoring latency, freshness, live heap and resident memory. Rows go to {@code progress}
 * as they are taken; {@link #run()} returns the whole report.
 */
public final class SoakRun {
  private final SoakConfig config;
  private final PrintStream progress;

  public SoakRun(SoakConfig config, PrintStream progress) {
    this.config = config;
    this.progress = progress;
  }

  public SoakReport run() throws InterruptedException {
    LocalConfig local = new LocalConfig(config.dataDir(), config.sharedData(), 0, 0, 0, 0, 0, config.partitions(),
        config.encoder(), true, config.users(), config.eventsPerSecond(), config.scoresPerSecond(),
        config.duration(), null, null, config.seed(), config.settings());
    try (LocalMode pipeline = new LocalMode(local)) {
      pipeline.start(new StatusBoard(progress, false));
      progress.println(SoakReport.header());
      try (ConsumerLagProbe lag = new ConsumerLagProbe(Map.of("bootstrap.servers", pipeline.bootstrapServers()))) {
        return sample(pipeline, lag);
      }
    }
  }

  private SoakReport sample(LocalMode pipeline, ConsumerLagProbe lag) throws InterruptedException {
    MeterReadings ingest = new MeterReadings(pipeline.registries().get("ingest"));
    MeterReadings learner = new MeterReadings(pipeline.registries().get("learner"));
    MeterReadings scorer = new MeterReadings(pipeline.registries().get("scorer"));
    DemoDriver demo = pipeline.demo();
    MemoryProbe memory = new MemoryProbe();
    List<SoakSample> samples = new ArrayList<>();
    List<long[]> judgedLatencies = new ArrayList<>();
    demo.scoreLatencies().drain();
    long startNanos = System.nanoTime();
    long endNanos = startNanos + config.duration().toNanos();
    long intervalNanos = config.sampleEvery().toNanos();
    double lastIngest = ingest.counterSum(PipelineMeters.INGEST_EVENTS_IN);
    double lastLearned = learner.counterSum(PipelineMeters.LEARNER_EVENTS_LEARNED);
    long lastAt = startNanos;
    for (long next = startNanos + intervalNanos; next <= endNanos; next += intervalNanos) {
      long wait = next - System.nanoTime();
      if (wait > 0) {
        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
      }
      long now = System.nanoTime();
      double seconds = (now - lastAt) / 1e9;
      double ingestIn = ingest.counterSum(PipelineMeters.INGEST_EVENTS_IN);
      double learned = learner.counterSum(PipelineMeters.LEARNER_EVENTS_LEARNED);
      LatencyWindow.Interval latencies = demo.scoreLatencies().drain();
      double atSeconds = (now - startNanos) / 1e9;
      if (atSeconds > config.warmup().toSeconds()) {
        judgedLatencies.add(latencies.sortedNanos());
      }
      SoakSample s = new SoakSample(atSeconds, demo.eventsSent(), demo.sendErrors(), (long) ingestIn, (long) learned,
          (long) learner.counterSum(PipelineMeters.LEARNER_CHECKPOINTS),
          (long) scorer.counterSum(PipelineMeters.SCORER_SWAPS),
          (ingestIn - lastIngest) / seconds, (learned - lastLearned) / seconds, lag.lagByGroup(),
          latencies.count(), latencies.quantileMs(0.50), latencies.quantileMs(0.99), latencies.quantileMs(1.0),
          demo.scoreErrors(), demo.freshness().quantileMs(0.50), demo.freshness().quantileMs(0.99),
          memory.liveHeapMiB(), memory.residentMiB());
      samples.add(s);
      progress.println(SoakReport.row(s));
      lastIngest = ingestIn;
      lastLearned = learned;
      lastAt = now;
    }
    long[] all = judgedLatencies.stream().flatMapToLong(Arrays::stream).sorted().toArray();
    return new SoakReport(config, samples, new LatencyWindow.Interval(all, all.length));
  }
}
