package io.prefstream.local.demo;

import java.nio.file.Path;
import java.util.List;

/**
 * How the demo drives the system.
 *
 * @param rawQueries {@code dsp-dev.raw.jsonl}
 * @param users simulated users
 * @param domains each user has a hidden style per domain
 * @param eventsPerSecond rate of preference events produced
 * @param scoresPerSecond rate of scoring requests of the right-top-answer check
 * @param windowMs the window over which right-top-answer rates are reported
 */
public record DemoConfig(Path rawQueries, int users, List<String> domains, double eventsPerSecond,
    double scoresPerSecond, long windowMs, long seed) {

  public DemoConfig {
    if (users < 1) {
      throw new IllegalArgumentException("--users " + users + " must be at least 1");
    }
    if (!(eventsPerSecond > 0)) {
      throw new IllegalArgumentException("--rate " + eventsPerSecond + " must be > 0 events/s");
    }
    if (!(scoresPerSecond > 0)) {
      throw new IllegalArgumentException("scores per second " + scoresPerSecond + " must be > 0");
    }
    domains = List.copyOf(domains);
  }
}
