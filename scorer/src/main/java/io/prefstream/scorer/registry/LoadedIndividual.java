package io.prefstream.scorer.registry;

import io.prefstream.model.reward.IndividualModel;

/**
 * One customized model as the scorer holds it: the checkpoint's versions and times plus its weights in fp16 (as on
 * the wire), so 100,000 loaded keys cost well under 2 KiB each. Immutable: a newer checkpoint replaces the whole entry,
 * which is what lets a request read one entry and never see half of an update.
 */
public final class LoadedIndividual {
  private final long version;
  private final long baseVersion;
  private final long newestEventTimeMs;
  private final long createdAtMs;
  private final long eventsApplied;
  private final short[] weights;

  private LoadedIndividual(long version, long baseVersion, long newestEventTimeMs, long createdAtMs,
      long eventsApplied, short[] weights) {
    this.version = version;
    this.baseVersion = baseVersion;
    this.newestEventTimeMs = newestEventTimeMs;
    this.createdAtMs = createdAtMs;
    this.eventsApplied = eventsApplied;
    this.weights = weights;
  }

  public static LoadedIndividual of(IndividualModel m) {
    return new LoadedIndividual(m.version(), m.baseVersion(), m.newestEventTimeMs(), m.createdAtMs(),
        m.eventsApplied(), Fp16.fromFloats(m.weights()));
  }

  /** The model object the reward code takes; built per request (a few hundred float conversions). */
  public IndividualModel toModel(String userId, String domain) {
    return new IndividualModel(userId, domain, version, baseVersion, Fp16.toFloats(weights), eventsApplied, 0,
        newestEventTimeMs, createdAtMs);
  }

  public long version() {
    return version;
  }

  public long baseVersion() {
    return baseVersion;
  }

  public long newestEventTimeMs() {
    return newestEventTimeMs;
  }

  public long createdAtMs() {
    return createdAtMs;
  }

  public int dimension() {
    return weights.length;
  }
}
