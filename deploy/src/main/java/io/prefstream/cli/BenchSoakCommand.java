package io.prefstream.cli;

import ch.qos.logback.classic.Level;
import io.prefstream.local.LibraryLogs;
import io.prefstream.local.soak.SoakConfig;
import io.prefstream.local.soak.SoakReport;
import io.prefstream.local.soak.SoakRun;
import io.prefstream.runtime.config.Settings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code prefstream bench soak}: sustained traffic through the whole pipeline for a long time (10 minutes by default)
 * with a scoring load beside it; prints one row per interval and whether lag stayed bounded and memory flat.
 */
@Command(name = "soak", mixinStandardHelpOptions = true,
    description = {"Soak benchmark: the whole pipeline (broker, ingest, learner, scorer in one process) under the demo's",
        "events at a fixed rate with its scoring load beside it. Prints throughput, consumer lag, scoring latency,",
        "freshness and memory per interval (on stderr), then whether lag stayed bounded and memory flat.",
        "Exit status 0 when both hold, 1 when not."})
public final class BenchSoakCommand implements Callable<Integer> {
  @Option(names = "--duration", defaultValue = "600", description = "Seconds of traffic (default: ${DEFAULT-VALUE}).")
  long durationSeconds;

  @Option(names = "--sample-every", defaultValue = "30", description = "Seconds per row (default: ${DEFAULT-VALUE}).")
  long sampleSeconds;

  @Option(names = "--warmup", defaultValue = "60",
      description = "Seconds left out of the verdicts (default: ${DEFAULT-VALUE}).")
  long warmupSeconds;

  @Option(names = "--rate", defaultValue = "200", description = "Events per second (default: ${DEFAULT-VALUE}).")
  double rate;

  @Option(names = "--score-rate", defaultValue = "20",
      description = "Scoring checks per second (default: ${DEFAULT-VALUE}).")
  double scoreRate;

  @Option(names = "--users", defaultValue = "200", description = "Simulated users (default: ${DEFAULT-VALUE}).")
  int users;

  @Option(names = "--partitions", defaultValue = "3", description = "Partitions per topic (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Option(names = "--encoder", defaultValue = "all-minilm-l6-v2-q",
      description = "Text encoder for every service (default: ${DEFAULT-VALUE}).")
  String encoder;

  @Option(names = "--data-dir", description = "Data folder for this run; must be empty or absent "
      + "(default: a new folder under data/soak).")
  Path dataDir;

  @Option(names = "--shared-data", defaultValue = "../shared/data",
      description = "Folder with general/ and dsp/ event files (default: ${DEFAULT-VALUE}).")
  Path sharedData;

  @Option(names = "--seed", defaultValue = "42", description = "Demo random seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--json", description = "Print the report (with every sample) as one JSON line on stdout.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    Path folder = dataDir != null ? dataDir : Path.of("data", "soak", "run-" + System.currentTimeMillis());
    requireEmpty(folder);
    SoakConfig config = new SoakConfig(Duration.ofSeconds(durationSeconds), Duration.ofSeconds(sampleSeconds),
        Duration.ofSeconds(warmupSeconds), rate, scoreRate, users, partitions, encoder, folder, sharedData, seed,
        Settings.load(null, System.getenv(), Map.of()));
    // As in local mode: the rows stay readable, the broker's and clients' lines go to the run's folder.
    LibraryLogs logs = LibraryLogs.redirect(folder.resolve("logs").resolve("soak.log"), Level.WARN);
    System.err.println("soak: " + durationSeconds + " s at " + rate + " events/s and " + scoreRate
        + " scoring checks/s, data in " + folder.toAbsolutePath()
        + (logs == null ? "" : ", logs in " + logs.file().toAbsolutePath()));
    SoakReport report;
    try {
      report = new SoakRun(config, System.err).run();
    } finally {
      if (logs != null) {
        logs.close();
      }
    }
    report.conclusion().forEach(System.err::println);
    if (json) {
      System.out.println(report.toJson());
    }
    return report.verdict().lagBounded() && report.verdict().memoryFlat() ? 0 : 1;
  }

  private static void requireEmpty(Path folder) throws IOException {
    if (Files.isDirectory(folder)) {
      try (var entries = Files.list(folder)) {
        if (entries.findAny().isPresent()) {
          throw new IllegalArgumentException("--data-dir " + folder.toAbsolutePath()
              + " is not empty; a soak run needs a fresh folder (or leave --data-dir out)");
        }
      }
    }
  }
}
