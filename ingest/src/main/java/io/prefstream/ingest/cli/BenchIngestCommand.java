package io.prefstream.ingest.cli;

import io.prefstream.broker.ScratchDirectory;
import io.prefstream.ingest.bench.IngestBenchmark;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code prefstream bench ingest}: starts its own embedded broker in a temporary folder, measures the raw
 * produce-to-consume rate and the ingest rate on it, and prints both.
 */
@Command(name = "ingest", mixinStandardHelpOptions = true,
    description = "Benchmark ingest against the raw produce->consume rate of the same embedded broker.")
public final class BenchIngestCommand implements Callable<Integer> {
  @Option(names = "--events", defaultValue = "200000", description = "Valid events to push (default: ${DEFAULT-VALUE}).")
  int events;

  @Option(names = "--users", defaultValue = "1000", description = "Users the events are spread over (default: ${DEFAULT-VALUE}).")
  int users;

  @Option(names = "--partitions", defaultValue = "3", description = "Partitions of every topic (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Option(names = "--text-chars", defaultValue = "30",
      description = "Characters in each of prompt, chosen, rejected; 30 gives ~200-byte records (default: ${DEFAULT-VALUE}).")
  int textChars;

  @Option(names = "--threads", defaultValue = "1", description = "Kafka Streams threads (default: ${DEFAULT-VALUE}).")
  int threads;

  @Option(names = "--window-ms", defaultValue = "1000", description = "Batch window (default: ${DEFAULT-VALUE}).")
  long windowMs;

  @Option(names = "--early-emit", defaultValue = "32", description = "Early emit size (default: ${DEFAULT-VALUE}).")
  int earlyEmit;

  @Option(names = "--commit-interval-ms", defaultValue = "100",
      description = "Kafka Streams commit interval (default: ${DEFAULT-VALUE}).")
  long commitIntervalMs;

  @Option(names = "--seed", defaultValue = "42", description = "Seed of the generated texts (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--floor", arity = "0..1", fallbackValue = "NONE", paramLabel = "WORK",
      description = "Instead of ingest, measure a reference exactly-once Kafka Streams app with ingest's settings: "
          + "NONE (read, count, write 1 record per 16 events; the default with a bare --floor), PARSE (also parse "
          + "each event as ingest does) or DURABLE (parse, keep each event in a changelogged store until it leaves in "
          + "a per-user batch of 32: the part of ingest's work no correct ingest can skip). Case-insensitive.")
  IngestBenchmark.FloorWork floor;

  @Option(names = "--set", description = "A Kafka Streams or client setting over ingest's, e.g. "
      + "--set consumer.max.poll.records=5000 (repeatable).")
  java.util.Map<String, String> overrides = new java.util.HashMap<>();

  @Option(names = "--warmup", defaultValue = "0",
      description = "Events pushed through each path (raw and ingest) before the timed run; 0 times both cold "
          + "(default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--json", description = "Print one JSON line instead of text.")
  boolean json;

  public BenchIngestCommand() {}

  /** Runs the benchmark without the {@code prefstream} launcher (see ingest/README.md). */
  public static void main(String[] args) {
    System.exit(new picocli.CommandLine(new BenchIngestCommand()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    try (ScratchDirectory work = ScratchDirectory.create("prefstream-bench-ingest")) {
      IngestBenchmark.Result r = IngestBenchmark.run(new IngestBenchmark.Options(events, users, partitions, textChars,
          threads, Duration.ofMillis(windowMs), earlyEmit, Duration.ofMillis(commitIntervalMs), seed, floor, overrides, warmup), work.path());
      if (json) {
        System.out.println(r.toJson());
      } else {
        System.out.printf("events:        %,d valid events of %.0f bytes on average, %d users, %d partitions%n",
            r.events(), r.avgRecordBytes(), r.users(), r.partitions());
        System.out.printf("raw:           %,.0f records/s (%.2f s produce -> consume)%n", r.rawRecordsPerSec(),
            r.rawSeconds());
        System.out.printf("ingest:        %,.0f events/s (%.2f s produce -> last committed batch, %,d batches)%n",
            r.ingestEventsPerSec(), r.ingestSeconds(), r.batches());
        System.out.printf("ratio:         %.2f of raw%n", r.ratio());
      }
      return 0;
    }
  }

}
