package io.prefstream.learner.train;

import io.prefstream.learner.LearningConfig;
import io.prefstream.learner.state.HeldPair;
import io.prefstream.learner.state.KeyState;
import io.prefstream.model.checkpoint.CheckpointCodec;
import io.prefstream.model.checkpoint.Fp16;
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
 * <p><b>User types.</b> When the base carries user types for a domain (P-RLHF's cluster-based user model, fitted by
 * {@code refit-base}), a key's individual part is {@code t_anchor + v}: the type it is anchored on plus its own part
 * {@code v}, which is what the L2 pull draws toward zero. While a key is young ({@code typeSettleEvents}), every event
 * adds each candidate's preference loss to the key's sums (the generic model alone, and generic + each type: the
 * negative log-likelihood of the key's events under that type), and the key moves to the candidate with the lowest sum
 * once it beats the current anchor by {@link #TYPE_SWITCH_NATS}; the move adds {@code t_new − t_old} to the
 * individual part, keeping {@code v}. So a new user of a known taste is served the pooled model of everyone with that
 * taste after a few events, instead of climbing from the generic part on its own data; the promotion gate still
 * decides whether the moved model is published. After it settles, a key stays on its type.
 *
 * <p>Not thread-safe: one instance per processing thread.
 */
public final class BatchLearner {
  /**
   * How much better (in summed log-likelihood of the key's events) another anchor must explain them before a key
   * moves: posterior odds of e^0.5 ≈ 1.6 under equal priors, so one ambiguous event does not flip a key back and forth.
   */
  public static final double TYPE_SWITCH_NATS = 0.5;

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
    boolean shifted = false;
    if (old == null) {
      s.rebase(base.version(), null);
    } else {
      float[] shift = old.frozen(s.domain());
      float[] now = frozen(s.domain());
      for (int i = 0; i < shift.length; i++) {
        shift[i] -= now[i];
      }
      s.rebase(base.version(), shift);
      shifted = true;
    }
    // The old version's types are gone: the key's model stays as it is, now read as the nearest new type plus its own
    // part (no jump), and its loss sums start again against the new types.
    s.anchorOn(nearestType(base.types(s.domain()), s.working()), false);
    return shifted;
  }

  /** The type (or {@link KeyState#NO_TYPE}) nearest to an individual part. */
  static int nearestType(List<float[]> types, float[] working) {
    int best = KeyState.NO_TYPE;
    double bestD = 0;
    for (float w : working) {
      bestD += (double) w * w;
    }
    for (int t = 0; t < types.size(); t++) {
      float[] c = types.get(t);
      double d = 0;
      for (int i = 0; i < c.length; i++) {
        double x = working[i] - c[i];
        d += x * x;
      }
      if (d < bestD) {
        bestD = d;
        best = t;
      }
    }
    return best;
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
    List<float[]> trainerFrozen = new ArrayList<>();
    List<float[]> anchors = new ArrayList<>();
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
      List<float[]> types = config.typeSettleEvents() > 0 ? base.types(b.domain()) : List.of();
      int k = keys.size();
      int before = pairs.size();
      long index = s.eventsApplied();
      boolean settling = !types.isEmpty() && index < config.typeSettleEvents();
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
        if (settling && index < config.typeSettleEvents()) {
          addTypeEvidence(s, w, types, fc, fr, margin);
        }
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
      if (settling && moveToBestType(s, types)) {
        out.typeMoves++;
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
      // The trainer pulls its parameter toward zero: give it the key's own part, with the type in the frozen part.
      float[] type = s.typeAnchor() == KeyState.NO_TYPE || s.typeAnchor() >= types.size() ? null
          : types.get(s.typeAnchor());
      anchors.add(type);
      trainerFrozen.add(type == null ? w : add(w, type));
      individuals.add(type == null ? s.working() : sub(s.working(), type));
      trainedBatches.add(b);
    }
    if (keys.isEmpty()) {
      return;
    }

    // 3. One batched trainer call for every key of the round.
    long t1 = System.nanoTime();
    int steps = 0;
    // Keys anchored on a type keep to it with their own pull: a second call (a key's result does not depend on which
    // other keys share a call, so replays stay bit-identical).
    List<float[]> trained = new ArrayList<>(java.util.Collections.nCopies(keys.size(), (float[]) null));
    // With the same pull for both, one call trains every key.
    boolean split = config.typePull() != trainer.config().l2Pull();
    for (boolean anchored : split ? new boolean[] {false, true} : new boolean[] {false}) {
      List<Integer> group = new ArrayList<>();
      for (int k = 0; k < keys.size(); k++) {
        if (!split || (anchors.get(k) != null) == anchored) {
          group.add(k);
        }
      }
      if (group.isEmpty()) {
        continue;
      }
      List<float[]> groupFrozen = new ArrayList<>();
      List<float[]> groupIndividuals = new ArrayList<>();
      int[] newIndex = new int[keys.size()];
      for (int g = 0; g < group.size(); g++) {
        groupFrozen.add(trainerFrozen.get(group.get(g)));
        groupIndividuals.add(individuals.get(group.get(g)));
        newIndex[group.get(g)] = g;
      }
      List<TrainingPair> groupPairs = pairs;
      if (group.size() < keys.size()) {
        groupPairs = new ArrayList<>();
        for (TrainingPair p : pairs) {
          if (!split || (anchors.get(p.keyIndex()) != null) == anchored) {
            groupPairs.add(new TrainingPair(newIndex[p.keyIndex()], p.chosen(), p.rejected(), p.margin(), p.weight()));
          }
        }
      }
      BatchedIndividualTrainer.Result r = anchored
          ? trainer.train(groupFrozen, groupIndividuals, groupPairs, config.typePull())
          : trainer.train(groupFrozen, groupIndividuals, groupPairs);
      for (int g = 0; g < group.size(); g++) {
        trained.set(group.get(g), r.individuals().get(g));
      }
      out.trainCalls++;
      out.lossSum += r.meanLoss();
      out.steps += (long) r.steps() * group.size();
      steps = r.steps();
    }
    out.trainNanos += System.nanoTime() - t1;
    out.pairsTrained += pairs.size();

    // 4. Gate and publish.
    for (int k = 0; k < keys.size(); k++) {
      KeyState s = keys.get(k);
      float[] candidate = anchors.get(k) == null ? trained.get(k) : add(trained.get(k), anchors.get(k));
      float[] w = frozen.get(k);
      PromotionGate.Decision d = gate.judge(add(w, candidate), s.published() == null ? w : add(w, s.published()),
          s.heldBack());
      if (PromotionGate.NON_FINITE.equals(d.reason())) {
        s.countGateRejection();
        out.rejections.merge(d.reason(), 1L, Long::sum);
        continue; // keep training from the last finite weights
      }
      s.setWorking(candidate);
      s.countSteps(steps);
      if (!d.accepted()) {
        s.countGateRejection();
        out.rejections.merge(d.reason(), 1L, Long::sum);
        continue;
      }
      IndividualModel m = new IndividualModel(s.userId(), s.domain(), s.publishedVersion() + 1, base.version(),
          candidate, s.eventsApplied(), s.steps(), s.newestEventTimeMs(), nowMs);
      byte[] bytes = CheckpointCodec.encode(m);
      // The weights as the scorer decodes them (the record stores fp16), without decoding the record again.
      s.markPublished(m.version(), Fp16.round(candidate));
      out.published.put(s.key(), new Published(m, bytes));
    }
  }

  /** Adds each anchor's loss on one event to the key's sums: [generic alone, generic + type 0, ...]. */
  private static void addTypeEvidence(KeyState s, float[] w, List<float[]> types, float[] fc, float[] fr,
      float margin) {
    float[] evidence = s.typeEvidence(types.size() + 1);
    double generic = dot(w, fc) - dot(w, fr);
    evidence[0] += (float) PreferenceLoss.loss(generic, margin);
    for (int t = 0; t < types.size(); t++) {
      float[] c = types.get(t);
      evidence[t + 1] += (float) PreferenceLoss.loss(generic + (dot(c, fc) - dot(c, fr)), margin);
    }
  }

  /** Moves the key to the anchor its events favour, keeping its own part; true when it moved. */
  private static boolean moveToBestType(KeyState s, List<float[]> types) {
    float[] evidence = s.typeEvidence(types.size() + 1);
    int current = s.typeAnchor() >= types.size() ? KeyState.NO_TYPE : s.typeAnchor();
    int best = current;
    for (int a = KeyState.NO_TYPE; a < types.size(); a++) {
      if (evidence[a + 1] < evidence[best + 1] - (best == current ? TYPE_SWITCH_NATS : 0)) {
        best = a;
      }
    }
    if (best == current) {
      return false;
    }
    float[] moved = s.working().clone();
    for (int i = 0; i < moved.length; i++) {
      moved[i] += (best == KeyState.NO_TYPE ? 0 : types.get(best)[i])
          - (current == KeyState.NO_TYPE ? 0 : types.get(current)[i]);
    }
    s.setWorking(moved);
    s.anchorOn(best, true);
    return true;
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
    /** Keys moved to the user type (or off the types) that explains their events best. */
    public long typeMoves;
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
