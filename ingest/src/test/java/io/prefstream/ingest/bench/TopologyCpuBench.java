package io.prefstream.ingest.bench;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prefstream.ingest.IngestConfig;
import io.prefstream.ingest.IngestService;
import io.prefstream.ingest.metrics.IngestMetrics;
import io.prefstream.ingest.topology.IngestTopology;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * CPU per event of the ingest topology alone (TopologyTestDriver: processors, stores and changelog serialization,
 * no broker), on the benchmark's generated events: a steadier signal than the end-to-end benchmark on a shared
 * machine, for comparing versions of the processing code. Not a test; run its main with the test classpath.
 * Prints the best of {@code rounds} rounds, in microseconds of this thread's CPU per event.
 */
public final class TopologyCpuBench {
  public static void main(String[] args) throws Exception {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    List<byte[][]> records = IngestBenchmark.generate(new IngestBenchmark.Options(events, 1000, 3, 30, 1,
        Duration.ofSeconds(1), 32, Duration.ofMillis(100), 42, null, java.util.Map.of(), 0));
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    double best = Double.MAX_VALUE;
    for (int round = 0; round < rounds; round++) {
      Path dir = Files.createTempDirectory("topology-cpu");
      IngestConfig config = IngestConfig.defaults("unused:9092", dir);
      IngestMetrics metrics = new IngestMetrics(new SimpleMeterRegistry());
      long t0 = System.currentTimeMillis();
      try (TopologyTestDriver driver = new TopologyTestDriver(IngestTopology.build(config, metrics),
          IngestService.streamsProperties(config, metrics), Instant.ofEpochMilli(t0))) {
        TestInputTopic<byte[], byte[]> in = driver.createInputTopic(config.topics().events(),
            new ByteArraySerializer(), new ByteArraySerializer());
        TestOutputTopic<String, byte[]> out = driver.createOutputTopic(config.topics().batches(),
            new StringDeserializer(), new ByteArrayDeserializer());
        long cpu0 = mx.getCurrentThreadCpuTime();
        int i = 0;
        for (byte[][] r : records) {
          in.pipeInput(r[0], r[1], t0 + i / 20);
          if (++i % 20_000 == 0) { // 20,000 events per second of (mock) wall clock, windows close as they would
            driver.advanceWallClockTime(Duration.ofSeconds(1));
            out.readRecordsToList();
          }
        }
        driver.advanceWallClockTime(Duration.ofSeconds(2));
        int batches = out.readRecordsToList().size();
        double us = (mx.getCurrentThreadCpuTime() - cpu0) / 1e3 / events;
        best = Math.min(best, us);
        System.out.printf("round %d: %.2f us CPU per event (%d batches at the end)%n", round, us, batches);
      }
    }
    System.out.printf("best: %.2f us CPU per event over %d events%n", best, events);
  }
}
