package io.prefstream.learner.train;

import io.prefstream.learner.LearningConfig;
import io.prefstream.learner.state.HeldPair;
import io.prefstream.learner.state.KeyState;
import io.prefstream.model.checkpoint.CheckpointCodec;
import io.prefstream.model.reward.BaseModel;
import io.prefstream.model.reward.IndividualModel;
import io.prefstream.model.reward.FeatureLayout;
import io.prefstream.model.reward.PairFeaturizer;
import io.prefstream.model.reward.PreferenceLoss;
import io.prefstream.model.train.BatchedIndividualTrainer;
import io.prefstream.model.train.TrainingPair;
import io.prefstream.protocol.batch.TrainingBatch;
import io.prefstream.protocol.event.PreferenceEvent;
import io.prefstream.protocol.topic.ModelKey;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The learning step, free of Kafka: for a sequence of training batches it embeds the texts (cache first), scores
 * every event with the key's current model before learning from it (progressive validation), holds some events back
 * for the promotion gate, trains the keys' individual parts together in batched device steps, and decides which new
 * versions are published.
 *
 * <p>Batches are cut into rounds that hold at most one batch per key (a key's batches stay in order); each round is one
 * trainer call for all its keys. The trainer's result for a key is exact for the same call but its last bits depend on
 * which other keys share the call, so callers must pass batch lists that are a function of the input log alone (the
 * service passes fixed offset blocks) for replays to be bit-identical.
 *
 * <p>Not thread-safe: one instance per processing thread.
 */
public final class BatchLearner {
  private final BaseModel base;
  private final PairFeaturizer featurizer;
  private final BatchedIndividualTrainer trainer;
  private final EnrichmentPool enrichment;
  private final LearningConfig config;
  private final PromotionGate gate;
  private final Map<String, float[]> frozenByDomain = new HashMap<>();
  private final float[] zeros;

  public BatchLearner(BaseModel base, PairFeaturizer featurizer, BatchedIndividualTrainer trainer,
      EnrichmentPool enrichment, LearningConfig config) {
    if (base.featureDim() != featurizer.dimension()) {
      throw new IllegalArgumentException("base model has featureDim " + base.featureDim() + " but encoder '"
          + featurizer.encoderId() + "' gives features of dimension " + featurizer.dimension());
    }
    if (!base.encoderId().equals(featurizer.encoderId())) {
      throw new IllegalArgumentException("base model was trained on encoder and feature layout '" + base.encoderId()
          + "' but the learner runs '" + featurizer.encoderId() + "'; set learner.encoder to the base's encoder ("
          + FeatureLayout.encoderSpecOf(base.encoderId()) + ") if that differs, or, for a base of an older feature "
          + "layout, start on a new models topic (a fresh data folder in local mode) so a base of this layout is "
          + "bootstrapped");
    }
    this.base = base;
    this.featurizer = featurizer;
    this.trainer = trainer;
    this.enrichment = enrichment;
    this.config = config;
    this.gate = new PromotionGate(config.gateEnabled(), config.gateAccuracyTolerance(), config.gateLossTolerance(),
        config.gateZ());
    this.zeros = new float[base.featureDim()];
  }

  public BaseModel base() {
    return base;
  }

  public int featureDim() {
    return base.featureDim();
  }

  /** w_base + g_domain (the generic model of the domain), computed once per domain. */
  public float[] frozen(String domain) {
    return frozenByDomain.computeIfAbsent(domain, base::frozen);
  }

  /**
   * Moves a key's individual part onto this learner's base when it was trained on another version: by the difference
   * of the two generic models when the base still lists the old version among its ancestors (the key's model then
   * scores exactly as before, and from now on is pulled toward the new generic model), as it is otherwise.
   *
   * @return whether the key's weights were shifted
   */
  public boolean rebase(KeyState s) {
    if (s.baseVersion() == base.version()) {
      return false;
    }
    BaseModel old = s.baseVersion() == KeyState.UNKNOWN_BASE ? null : base.lineage(s.baseVersion());
    if (old == null) {
      s.rebase(base.version(), null);
      return false;
    }
    float[] shift = old.frozen(s.domain());
    float[] now = frozen(s.domain());
    for (int i = 0; i < shift.length; i++) {
      shift[i] -= now[i];
    }
    s.rebase(base.version(), shift);
    return true;
  }

  /**
   * Learns from {@code batches} in order. {@code stateFor} returns the key's state, creating a fresh one for a new key;
   * states are modified in place.
   */
  public Outcome learn(List<TrainingBatch> batches, Function<ModelKey, KeyState> stateFor, long nowMs) {
    Outcome out = new Outcome();
    List<TrainingBatch> round = new ArrayList<>();
    Set<ModelKey> inRound = new HashSet<>();
    for (TrainingBatch b : batches) {
      ModelKey key = ModelKey.of(b.userId(), b.domain());
      if (inRound.contains(key)) {
        runRound(round, stateFor, nowMs, out);
        round.clear();
        inRound.clear();
      }
      round.add(b);
      inRound.add(key);
    }
    if (!round.isEmpty()) {
      runRound(round, stateFor, nowMs, out);
    }
    return out;
  }

  private void runRound(List<TrainingBatch> round, Function<ModelKey, KeyState> stateFor, long nowMs, Outcome out) {
    // 1. Embed every text of the round in one call (the cache answers most; misses are batched by the encoder).
    // Prompts only when the feature layout reads them (the default style layout does not): an encoder miss
    // costs ~30 ms on a CPU.
    boolean prompts = featurizer.usesPrompt();
    int stride = prompts ? 3 : 2;
    List<String> texts = new ArrayList<>();
    for (TrainingBatch b : round) {
      for (PreferenceEvent e : b.events()) {
        if (prompts) {
          texts.add(e.prompt());
        }
        texts.add(e.chosen());
        texts.add(e.rejected());
      }
    }
    long t0 = System.nanoTime();
    List<float[]> emb = featurizer.encoder().encodeAll(texts);
    out.embedNanos += System.nanoTime() - t0;

    // 2. Per key: progressive score, hold back, build pairs.
    List<KeyState> keys = new ArrayList<>();
    List<float[]> frozen = new ArrayList<>();
    List<float[]> individuals = new ArrayList<>();
    List<TrainingPair> pairs = new ArrayList<>();
    List<TrainingBatch> trainedBatches = new ArrayList<>();
    float marginScale = config.trainer().marginScale();
    int at = 0;
    for (TrainingBatch b : round) {
      KeyState s = stateFor.apply(ModelKey.of(b.userId(), b.domain()));
      if (s.seenBatch(b.batchId())) {
        out.duplicateBatches++;
        at += stride * b.events().size();
        continue;
      }
      if (rebase(s)) {
        out.rebased++;
      }
      float[] w = frozen(b.domain());
      float[] total = add(w, s.working());
      int k = keys.size();
      int before = pairs.size();
      long index = s.eventsApplied();
      for (PreferenceEvent e : b.events()) {
        float[] p = prompts ? emb.get(at) : null;
        int r = prompts ? at + 1 : at;
        float[] fc = featurizer.combine(p, emb.get(r), e.chosen());
        float[] fr = featurizer.combine(p, emb.get(r + 1), e.rejected());
        at += stride;
        boolean ok = dot(total, fc) - dot(total, fr) > 0;
        s.tally().record(ok);
        out.progressive(b.domain(), ok);
        float margin = PreferenceLoss.margin(e.strength(), marginScale);
        if (config.holdbackEvery() > 0 && config.holdbackSize() > 0
            && index % config.holdbackEvery() == config.holdbackEvery() - 1) {
          HeldPair evicted = s.holdBack(new HeldPair(sub(fc, fr), margin), config.holdbackSize());
          if (evicted != null) {
            pairs.add(new TrainingPair(k, evicted.diff(), zeros, evicted.margin(), 1f));
          }
        } else {
          pairs.add(new TrainingPair(k, fc, fr, margin, 1f));
        }
        index++;
      }
      if (enrichment.size() > 0 && config.trainer().enrichmentWeight() > 0) {
        for (int i = 0; i < config.enrichmentPairs(); i++) {
          long c = s.nextEnrichment();
          pairs.add(new TrainingPair(k, enrichment.chosen(c), enrichment.rejected(c), enrichment.margin(c),
              config.trainer().enrichmentWeight()));
        }
      }
      s.countEvents(b.events().size(), b.newestEventTimeMs());
      s.rememberBatch(b.batchId());
      out.eventsLearned.merge(b.domain(), (long) b.events().size(), Long::sum);
      out.touched.put(s.key(), s);
      if (pairs.size() == before) {
        continue; // everything held back and nothing evicted: nothing to train on yet
      }
      keys.add(s);
      frozen.add(w);
      individuals.add(s.working());
      trainedBatches.add(b);
    }
    if (keys.isEmpty()) {
      return;
    }

    // 3. One batched trainer call for every key of the round.
    long t1 = System.nanoTime();
    BatchedIndividualTrainer.Result r = trainer.train(frozen, individuals, pairs);
    out.trainNanos += System.nanoTime() - t1;
    out.trainCalls++;
    out.lossSum += r.meanLoss();
    out.pairsTrained += pairs.size();
    out.steps += (long) r.steps() * keys.size();

    // 4. Gate and publish.
    for (int k = 0; k < keys.size(); k++) {
      KeyState s = keys.get(k);
      float[] candidate = r.individuals().get(k);
      float[] w = frozen.get(k);
      PromotionGate.Decision d = gate.judge(add(w, candidate), s.published() == null ? w : add(w, s.published()),
          s.heldBack());
      if (PromotionGate.NON_FINITE.equals(d.reason())) {
        s.countGateRejection();
        out.rejections.merge(d.reason(), 1L, Long::sum);
        continue; // keep training from the last finite weights
      }
      s.setWorking(candidate);
      s.countSteps(r.steps());
      if (!d.accepted()) {
        s.countGateRejection();
        out.rejections.merge(d.reason(), 1L, Long::sum);
        continue;
      }
      IndividualModel m = new IndividualModel(s.userId(), s.domain(), s.publishedVersion() + 1, base.version(),
          candidate, s.eventsApplied(), s.steps(), s.newestEventTimeMs(), nowMs);
      byte[] bytes = CheckpointCodec.encode(m);
      IndividualModel asDecoded = (IndividualModel) CheckpointCodec.decode(bytes);
      s.markPublished(m.version(), asDecoded.weights());
      out.published.put(s.key(), new Published(m, bytes));
    }
  }

  private static float[] add(float[] a, float[] b) {
    float[] out = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i] + b[i];
    }
    return out;
  }

  private static float[] sub(float[] a, float[] b) {
    float[] out = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i] - b[i];
    }
    return out;
  }

  private static double dot(float[] w, float[] x) {
    double s = 0;
    for (int i = 0; i < w.length; i++) {
      s += (double) w[i] * x[i];
    }
    return s;
  }

  /** A checkpoint to publish: the model and its encoded record. */
  public record Published(IndividualModel model, byte[] bytes) {}

  /** What one {@link #learn} call did; the caller turns it into records and metrics. */
  public static final class Outcome {
    /** Keys whose state changed, in first-touched order (so records are written deterministically). */
    public final Map<ModelKey, KeyState> touched = new LinkedHashMap<>();
    /** The newest accepted version per key. */
    public final Map<ModelKey, Published> published = new LinkedHashMap<>();
    public final Map<String, Long> eventsLearned = new LinkedHashMap<>();
    public final Map<String, long[]> progressiveByDomain = new LinkedHashMap<>();
    public final Map<String, Long> rejections = new LinkedHashMap<>();
    public long duplicateBatches;
    /** Keys moved from an earlier base version onto the current one (their scores unchanged). */
    public long rebased;
    public long steps;
    public long pairsTrained;
    public int trainCalls;
    public double lossSum;
    public long trainNanos;
    public long embedNanos;

    void progressive(String domain, boolean ok) {
      long[] t = progressiveByDomain.computeIfAbsent(domain, d -> new long[2]);
      t[0]++;
      if (ok) {
        t[1]++;
      }
    }

    public long events() {
      long n = 0;
      for (long v : eventsLearned.values()) {
        n += v;
      }
      return n;
    }

    public double meanLoss() {
      return trainCalls == 0 ? Double.NaN : lossSum / trainCalls;
    }
  }
}
