package io.prefstream.local;

import io.prefstream.runtime.config.Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything {@code prefstream local} needs to run the whole system in one process.
 *
 * @param dataDir where the broker log, Kafka Streams state and caches live; starting again with the same folder
 *     resumes from the stored state
 * @param sharedData the folder holding {@code general/} and {@code dsp/} event files (bootstrap and demo data)
 * @param encoder the text encoder spec every service uses (see the model module)
 * @param duration stop by itself after this long; {@code null} runs until Ctrl-C
 * @param summaryJson where to write the end-of-run summary; {@code null} for none
 * @param refitEvery how often {@code refit-base} runs in the process (a new base version when enough users' models
 *     share something); {@code null} never
 * @param settings service settings (the keys of the ingest, learner and scorer READMEs) from {@code --config} and
 *     {@code PREFSTREAM_*} environment variables; the flags above win over them
 */
public record LocalConfig(
    Path dataDir,
    Path sharedData,
    int kafkaPort,
    int scorerHttpPort,
    int ingestMetricsPort,
    int learnerMetricsPort,
    int scorerMetricsPort,
    int partitions,
    String encoder,
    boolean demo,
    int users,
    double eventsPerSecond,
    double scoresPerSecond,
    Duration duration,
    Path summaryJson,
    Duration refitEvery,
    long seed,
    Settings settings) {

  public LocalConfig {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(sharedData, "sharedData");
    Objects.requireNonNull(encoder, "encoder");
    Objects.requireNonNull(settings, "settings");
    requirePort("--kafka-port", kafkaPort);
    requirePort("--http-port", scorerHttpPort);
    requirePort("--ingest-metrics-port", ingestMetricsPort);
    requirePort("--learner-metrics-port", learnerMetricsPort);
    requirePort("--scorer-metrics-port", scorerMetricsPort);
    if (partitions < 1 || partitions > 1000) {
      throw new IllegalArgumentException("--partitions " + partitions + " must be in [1, 1000]");
    }
    if (users < 1) {
      throw new IllegalArgumentException("--users " + users + " must be at least 1");
    }
    if (!(eventsPerSecond > 0) || eventsPerSecond > 100_000) {
      throw new IllegalArgumentException("--rate " + eventsPerSecond + " must be in (0, 100000] events/s");
    }
    if (!(scoresPerSecond > 0) || scoresPerSecond > 10_000) {
      throw new IllegalArgumentException("--score-rate " + scoresPerSecond + " must be in (0, 10000] requests/s");
    }
    if (refitEvery != null && refitEvery.toSeconds() < 1) {
      throw new IllegalArgumentException("--refit-every " + refitEvery.toSeconds() + " must be at least 1 second");
    }
    if (duration != null && (duration.isNegative() || duration.isZero())) {
      throw new IllegalArgumentException("--duration " + duration.toSeconds() + " must be a positive number of seconds");
    }
  }

  private static void requirePort(String flag, int port) {
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException(flag + " " + port + " must be in [0, 65535] (0 picks a free port)");
    }
  }

  public Path generalData() {
    return sharedData.resolve("general");
  }

  public Path dspRawQueries() {
    return sharedData.resolve("dsp").resolve("dsp-dev.raw.jsonl");
  }
}
