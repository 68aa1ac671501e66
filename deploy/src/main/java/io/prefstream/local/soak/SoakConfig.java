package io.prefstream.local.soak;

import io.prefstream.runtime.config.Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * A soak run: local mode with demo traffic at a fixed rate for a long time, sampled at a fixed interval.
 *
 * @param duration how long to drive traffic once the pipeline is up (the issue asks for 10 minutes)
 * @param sampleEvery one row of the report per interval
 * @param warmup the first part of the run left out of the verdicts (the caches fill, the JIT warms up)
 * @param dataDir a folder of its own for this run's broker log and state
 */
public record SoakConfig(
    Duration duration,
    Duration sampleEvery,
    Duration warmup,
    double eventsPerSecond,
    double scoresPerSecond,
    int users,
    int partitions,
    String encoder,
    Path dataDir,
    Path sharedData,
    long seed,
    Settings settings) {

  public SoakConfig {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(sharedData, "sharedData");
    Objects.requireNonNull(encoder, "encoder");
    Objects.requireNonNull(settings, "settings");
    if (duration == null || duration.compareTo(Duration.ofSeconds(10)) < 0) {
      throw new IllegalArgumentException("--duration " + (duration == null ? null : duration.toSeconds())
          + " s must be at least 10 s");
    }
    if (sampleEvery == null || sampleEvery.compareTo(Duration.ofSeconds(1)) < 0 || sampleEvery.compareTo(duration) > 0) {
      throw new IllegalArgumentException("--sample-every " + (sampleEvery == null ? null : sampleEvery.toSeconds())
          + " s must be between 1 s and the duration (" + duration.toSeconds() + " s)");
    }
    if (warmup == null || warmup.isNegative() || warmup.compareTo(duration) >= 0) {
      throw new IllegalArgumentException("--warmup " + (warmup == null ? null : warmup.toSeconds())
          + " s must be at least 0 and shorter than the duration (" + duration.toSeconds() + " s)");
    }
  }
}
