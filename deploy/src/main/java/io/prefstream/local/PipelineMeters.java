package io.prefstream.local;

/** The services' meters that local mode's board, its summary and the soak benchmark read (names as registered). */
public final class PipelineMeters {
  public static final String INGEST_EVENTS_IN = "prefstream.ingest.events.in";
  public static final String INGEST_BATCHES_OUT = "prefstream.ingest.batches.out";
  public static final String LEARNER_EVENTS_LEARNED = "prefstream.learner.events.learned";
  public static final String LEARNER_CHECKPOINTS = "prefstream.learner.checkpoints.published";
  public static final String LEARNER_PROGRESSIVE_ACCURACY = "prefstream.learner.progressive.accuracy.overall";
  public static final String SCORER_SWAPS = "prefstream.scorer.swaps";
  public static final String SCORER_BASE_VERSION = "prefstream.scorer.base.version";

  private PipelineMeters() {}
}
