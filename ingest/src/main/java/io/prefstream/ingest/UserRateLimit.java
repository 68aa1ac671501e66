package io.prefstream.ingest;

import io.prefstream.runtime.config.ConfigException;

/**
 * Per-user token bucket applied after validation and dedupe, before batching: a user may send {@code burst} events at
 * once and {@code perSecond} events per second after that (in record time). Events over the limit go to the
 * dead-letter topic with reason {@code rate_limited}, so they can be replayed; they are never dropped.
 *
 * @param perSecond sustained events per second per user (resolution 0.001/s); 0 disables the limit
 * @param burst events a user with a full bucket may send at once; 0 disables the limit
 * @param maxTrackedUsers buckets kept per stream task; past it, the least recently seen user's bucket is forgotten
 *     (that user then starts again from a full bucket)
 */
public record UserRateLimit(double perSecond, int burst, int maxTrackedUsers) {
  /**
   * 50 events/s and a burst of 2,000: far above a person's pace (the local demo sends ~1 event/s per user) and above
   * a one-off import of a user's history (the DSP dev set has 1,960 events per user, replayed at once by tests).
   */
  public static final UserRateLimit DEFAULT = new UserRateLimit(50, 2000, 100_000);
  public static final UserRateLimit DISABLED = new UserRateLimit(0, 0, 100_000);

  public UserRateLimit {
    if (!(perSecond >= 0) || perSecond > 1_000_000) {
      throw new ConfigException("ingest.user.rate.per.sec", String.valueOf(perSecond), "a number in [0, 1000000]; 0 disables");
    }
    if (burst < 0) {
      throw new ConfigException("ingest.user.burst", String.valueOf(burst), "a non-negative integer; 0 disables");
    }
    if (maxTrackedUsers < 1) {
      throw new ConfigException("ingest.user.rate.tracked.users", String.valueOf(maxTrackedUsers), "at least 1");
    }
  }

  /** False when either the rate or the burst is 0: the topology then has no rate-limit step at all. */
  public boolean enabled() {
    return perSecond > 0 && burst > 0;
  }
}
