package io.prefstream.model.reward;

/**
 * The individual part {@code u} of one (user, domain), learned online on top of the base and the
 * domain's generic part. Stored as fp16, so its checkpoint record stays under 2 KiB for D ≤ 768.
 *
 * @param version increases with every update of this (user, domain)
 * @param baseVersion the {@link BaseModel#version()} it was trained against
 * @param eventsApplied preference events folded in so far
 * @param steps gradient steps taken so far
 * @param newestEventTimeMs event time of the newest event folded in (freshness)
 */
public record IndividualModel(
    String userId,
    String domain,
    long version,
    long baseVersion,
    float[] weights,
    long eventsApplied,
    long steps,
    long newestEventTimeMs,
    long createdAtMs) implements ModelCheckpoint {

  public IndividualModel {
    if (userId == null || userId.isEmpty()) {
      throw new IllegalArgumentException("userId is required");
    }
    if (domain == null || domain.isEmpty()) {
      throw new IllegalArgumentException("domain is required");
    }
    if (weights == null || weights.length == 0) {
      throw new IllegalArgumentException("weights are required");
    }
    if (eventsApplied < 0 || steps < 0) {
      throw new IllegalArgumentException(
          "eventsApplied and steps must be >= 0, got " + eventsApplied + " and " + steps);
    }
    weights = weights.clone();
  }

  /** A zero individual part (a new user: scores equal the generic model's). */
  public static IndividualModel fresh(String userId, String domain, long baseVersion, int featureDim, long nowMs) {
    return new IndividualModel(userId, domain, 0, baseVersion, new float[featureDim], 0, 0, 0, nowMs);
  }
}
