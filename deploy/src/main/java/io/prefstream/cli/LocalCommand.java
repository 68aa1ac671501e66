package io.prefstream.cli;

import ch.qos.logback.classic.Level;
import io.prefstream.local.LibraryLogs;
import io.prefstream.local.LocalConfig;
import io.prefstream.local.LocalMode;
import io.prefstream.local.StatusBoard;
import io.prefstream.runtime.config.Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code prefstream local}: the whole system in one process, on a real broker, optionally with demo traffic. */
@Command(name = "local", mixinStandardHelpOptions = true,
    description = {"Run a Kafka broker (KRaft), ingest, learner and scorer in one process, with data in a local folder.",
        "With --demo, simulated users publish preferences and a scoring client shows the models learning their tastes.",
        "Ctrl-C stops everything cleanly; starting again resumes from the stored state."})
public final class LocalCommand implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--demo", description = "Drive simulated users and a scoring client.")
  boolean demo;

  @Option(names = "--data-dir", defaultValue = "data/local", description = "Data folder (default: ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(names = "--shared-data", defaultValue = "../shared/data",
      description = "Folder with general/ and dsp/ event files (default: ${DEFAULT-VALUE}).")
  Path sharedData;

  @Option(names = "--users", defaultValue = "200", description = "Simulated users (default: ${DEFAULT-VALUE}).")
  int users;

  @Option(names = "--rate", defaultValue = "200", description = "Demo events per second (default: ${DEFAULT-VALUE}).")
  double rate;

  @Option(names = "--score-rate", defaultValue = "20",
      description = "Demo scoring checks per second (default: ${DEFAULT-VALUE}).")
  double scoreRate;

  @Option(names = "--duration", description = "Stop after this many seconds (default: run until Ctrl-C).")
  Long durationSeconds;

  @Option(names = "--summary-json", description = "Write the run's summary as JSON to this file at the end.")
  Path summaryJson;

  @Option(names = "--encoder", defaultValue = "all-minilm-l6-v2-q",
      description = "Text encoder for every service (default: ${DEFAULT-VALUE}).")
  String encoder;

  @Option(names = "--kafka-port", defaultValue = "19092", description = "Broker port (default: ${DEFAULT-VALUE}).")
  int kafkaPort;

  @Option(names = "--http-port", defaultValue = "8080", description = "Scorer HTTP port (default: ${DEFAULT-VALUE}).")
  int httpPort;

  @Option(names = "--ingest-metrics-port", defaultValue = "9401", description = "(default: ${DEFAULT-VALUE})")
  int ingestMetricsPort;

  @Option(names = "--learner-metrics-port", defaultValue = "9402", description = "(default: ${DEFAULT-VALUE})")
  int learnerMetricsPort;

  @Option(names = "--scorer-metrics-port", defaultValue = "9403", description = "(default: ${DEFAULT-VALUE})")
  int scorerMetricsPort;

  @Option(names = "--partitions", defaultValue = "3", description = "Partitions per topic (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Option(names = "--seed", defaultValue = "42", description = "Demo random seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--refit-every", description = "Run refit-base every this many seconds: a new base version whose "
      + "generic part per domain holds what that domain's users' models share (0 or unset: never).")
  Long refitEverySeconds;

  @Option(names = "--library-logs", defaultValue = "file",
      description = "Where the log lines of the broker, the Kafka clients and DJL go: file (<data-dir>/logs/local.log, "
          + "with prefstream's own; the terminal then shows only prefstream's) or terminal (default: ${DEFAULT-VALUE}).")
  String libraryLogs;

  @Option(names = "--config", description = "Properties file with service settings (keys as in the ingest, learner and "
      + "scorer READMEs); PREFSTREAM_* environment variables override it, the flags above override both.")
  Path configFile;

  @Override
  public Integer call() throws Exception {
    LocalConfig config = new LocalConfig(dataDir, sharedData, kafkaPort, httpPort, ingestMetricsPort,
        learnerMetricsPort, scorerMetricsPort, partitions, encoder, demo, users, rate, scoreRate,
        durationSeconds == null ? null : Duration.ofSeconds(durationSeconds), summaryJson,
        refitEverySeconds == null || refitEverySeconds == 0 ? null : Duration.ofSeconds(refitEverySeconds), seed,
        Settings.load(configFile, System.getenv(), Map.of()));
    StatusBoard board = StatusBoard.forConsole();
    LibraryLogs logs = switch (libraryLogs) {
      // On a terminal the board redraws in place, so even prefstream's INFO lines would break it: warnings only.
      case "file" -> LibraryLogs.redirect(dataDir.resolve("logs").resolve("local.log"),
          board.interactive() ? Level.WARN : Level.INFO);
      case "terminal" -> null;
      default -> throw new CommandLine.ParameterException(spec.commandLine(),
          "--library-logs must be 'file' or 'terminal', got '" + libraryLogs + "'");
    };
    LocalMode local = new LocalMode(config);
    Thread shutdown = new Thread(() -> {
      local.requestStop();
      local.close();
    }, "prefstream-local-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdown);
    try {
      local.start(board);
      if (logs != null) {
        board.println("  logs                   " + logs.file().toAbsolutePath()
            + " (broker, Kafka clients, DJL and prefstream; the terminal shows prefstream's own)");
      }
      board.println("running; Ctrl-C stops everything" + (durationSeconds == null ? "" : " (or after "
          + durationSeconds + " s)"));
      local.runUntilStopped(board);
      if (summaryJson != null) {
        local.writeSummary(summaryJson);
        board.println("summary written to " + summaryJson);
      }
      board.println(local.summary().toJson());
    } finally {
      local.close();
      if (logs != null) {
        logs.close();
      }
      try {
        Runtime.getRuntime().removeShutdownHook(shutdown);
      } catch (IllegalStateException alreadyShuttingDown) {
        // the hook is running: it closes the same LocalMode, which is idempotent
      }
    }
    return 0;
  }
}
