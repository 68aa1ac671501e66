package io.prefstream.learner;

import io.prefstream.model.train.TrainerConfig;
import io.prefstream.runtime.config.ConfigException;
import io.prefstream.runtime.config.Settings;
import java.util.Objects;

/**
 * How the learner learns and when it publishes.
 *
 * @param trainer gradient-step knobs of the model module's trainer
 * @param enrichmentPairs general-preference pairs mixed into every key's batch (weight
 *     {@code trainer.enrichmentWeight}) so the customized model keeps the general ability
 * @param enrichmentPoolSize how many general pairs are embedded once at start to draw enrichment from
 * @param holdbackEvery every n-th event of a key is held back from training to judge promotions (0 = none)
 * @param holdbackSize held-back events kept per key; the oldest is trained on when it leaves the window, so no
 *     event is lost to training for good
 * @param gateEnabled publish a new version only when it is not worse than the current one on the held-back events
 * @param gateAccuracyTolerance accuracy the candidate may lose on the held-back events and still be published
 * @param gateLossTolerance mean loss the candidate may gain on the held-back events and still be published
 * @param gateZ how many standard errors (on the held-back pairs) worse a candidate must also be to be refused; 0 leaves
 *     the tolerances alone (see {@link io.prefstream.learner.train.PromotionGate})
 * @param progressiveWindow events in the per-key sliding window of progressive accuracy
 * @param typeSettleEvents while a key has applied fewer events than this, it may move to the base's user type that
 *     explains its events best (see {@link io.prefstream.learner.train.BatchLearner}); 0 never uses user types
 * @param typePull the L2 pull of an anchored key's own part toward its type (instead of {@code trainer.l2Pull}):
 *     how strongly such a key keeps to the pooled model of its type rather than to its own few events
 */
public record LearningConfig(
    TrainerConfig trainer,
    int enrichmentPairs,
    int enrichmentPoolSize,
    int holdbackEvery,
    int holdbackSize,
    boolean gateEnabled,
    double gateAccuracyTolerance,
    double gateLossTolerance,
    double gateZ,
    int progressiveWindow,
    int typeSettleEvents,
    float typePull) {

  /** Events a key may take to settle on a user type by default. */
  public static final int DEFAULT_TYPE_SETTLE_EVENTS = 64;
  /**
   * The pull of an anchored key's own part toward its type by default: the learner's usual pull, so a type is only a
   * starting point (0.01 measured slightly worse in the demo: learner/README.md, "User types").
   */
  public static final float DEFAULT_TYPE_PULL = 1e-4f;

  public LearningConfig {
    Objects.requireNonNull(trainer, "trainer");
    check("learner.enrichment.pairs", enrichmentPairs, 0, 10_000);
    check("learner.enrichment.pool", enrichmentPoolSize, 0, 1_000_000);
    check("learner.holdback.every", holdbackEvery, 0, 1_000_000);
    check("learner.holdback.size", holdbackSize, 0, 1024);
    check("learner.progressive.window", progressiveWindow, 1, 100_000);
    check("learner.types.settle.events", typeSettleEvents, 0, 1_000_000_000);
    if (!(typePull >= 0 && typePull <= 1e6)) {
      throw new ConfigException("learner.types.pull", String.valueOf(typePull), "in [0, 1e6]");
    }
    if (!(gateAccuracyTolerance >= 0 && gateAccuracyTolerance <= 1)) {
      throw new ConfigException("learner.gate.accuracy.tolerance", String.valueOf(gateAccuracyTolerance), "in [0, 1]");
    }
    if (!(gateZ >= 0 && gateZ <= 10)) {
      throw new ConfigException("learner.gate.z", String.valueOf(gateZ), "in [0, 10] standard errors");
    }
    if (!(gateLossTolerance >= 0) || Double.isInfinite(gateLossTolerance)) {
      throw new ConfigException("learner.gate.loss.tolerance", String.valueOf(gateLossTolerance), "finite, >= 0");
    }
  }

  private static void check(String key, int v, int min, int max) {
    if (v < min || v > max) {
      throw new ConfigException(key, String.valueOf(v), "an integer in [" + min + ", " + max + "]");
    }
  }

  /**
   * The online defaults. They differ from {@link TrainerConfig#defaults()} on purpose: with its l2Pull 0.01 at step
   * size 2 over 30 steps, u shrinks by ~45% every round, so a key only remembers its last couple of batches; measured on
   * the DSP stream (learner/README.md), learning rate 1, 10 steps and l2Pull 1e-4 learn more and run 3x faster.
   */
  /** One of 16 held-back pairs (1/16 = 0.0625) may flip the other way without refusal. */
  public static final double DEFAULT_GATE_ACCURACY_TOLERANCE = 0.07;
  public static final double DEFAULT_GATE_LOSS_TOLERANCE = 0.2;
  /** One-sided 95 %. */
  public static final double DEFAULT_GATE_Z = 1.645;

  public static LearningConfig defaults() {
    TrainerConfig t = TrainerConfig.defaults();
    return new LearningConfig(new TrainerConfig(1.0f, 10, 1e-4f, t.marginScale(), t.enrichmentWeight()), 4, 512, 5,
        16, true, DEFAULT_GATE_ACCURACY_TOLERANCE, DEFAULT_GATE_LOSS_TOLERANCE, DEFAULT_GATE_Z, 200,
        DEFAULT_TYPE_SETTLE_EVENTS, DEFAULT_TYPE_PULL);
  }

  public LearningConfig withTrainer(TrainerConfig t) {
    return new LearningConfig(t, enrichmentPairs, enrichmentPoolSize, holdbackEvery, holdbackSize, gateEnabled,
        gateAccuracyTolerance, gateLossTolerance, gateZ, progressiveWindow, typeSettleEvents, typePull);
  }

  public LearningConfig withEnrichment(int pairs, int pool) {
    return new LearningConfig(trainer, pairs, pool, holdbackEvery, holdbackSize, gateEnabled,
        gateAccuracyTolerance, gateLossTolerance, gateZ, progressiveWindow, typeSettleEvents, typePull);
  }

  public LearningConfig withGate(boolean enabled, int every, int size) {
    return new LearningConfig(trainer, enrichmentPairs, enrichmentPoolSize, every, size, enabled,
        gateAccuracyTolerance, gateLossTolerance, gateZ, progressiveWindow, typeSettleEvents, typePull);
  }

  public LearningConfig withTypeSettleEvents(int events) {
    return new LearningConfig(trainer, enrichmentPairs, enrichmentPoolSize, holdbackEvery, holdbackSize, gateEnabled,
        gateAccuracyTolerance, gateLossTolerance, gateZ, progressiveWindow, events, typePull);
  }

  public LearningConfig withTypePull(float pull) {
    return new LearningConfig(trainer, enrichmentPairs, enrichmentPoolSize, holdbackEvery, holdbackSize, gateEnabled,
        gateAccuracyTolerance, gateLossTolerance, gateZ, progressiveWindow, typeSettleEvents, pull);
  }

  public static LearningConfig from(Settings s) {
    LearningConfig d = defaults();
    TrainerConfig t = d.trainer();
    TrainerConfig trainer = new TrainerConfig(
        (float) s.doubleValue("learner.learning.rate", t.learningRate(), 1e-9, 100),
        s.integer("learner.steps.per.batch", t.stepsPerBatch(), 1, 10_000),
        (float) s.doubleValue("learner.l2.pull", t.l2Pull(), 0, 1e6),
        (float) s.doubleValue("learner.margin.scale", t.marginScale(), 0, 100),
        (float) s.doubleValue("learner.enrichment.weight", t.enrichmentWeight(), 0, 1e6));
    return new LearningConfig(
        trainer,
        s.integer("learner.enrichment.pairs", d.enrichmentPairs(), 0, 10_000),
        s.integer("learner.enrichment.pool", d.enrichmentPoolSize(), 0, 1_000_000),
        s.integer("learner.holdback.every", d.holdbackEvery(), 0, 1_000_000),
        s.integer("learner.holdback.size", d.holdbackSize(), 0, 1024),
        s.bool("learner.gate.enabled", d.gateEnabled()),
        s.doubleValue("learner.gate.accuracy.tolerance", d.gateAccuracyTolerance(), 0, 1),
        s.doubleValue("learner.gate.loss.tolerance", d.gateLossTolerance(), 0, 1e6),
        s.doubleValue("learner.gate.z", d.gateZ(), 0, 10),
        s.integer("learner.progressive.window", d.progressiveWindow(), 1, 100_000),
        s.integer("learner.types.settle.events", d.typeSettleEvents(), 0, 1_000_000_000),
        (float) s.doubleValue("learner.types.pull", d.typePull(), 0, 1e6));
  }
}
