package io.prefstream.model.customize;

import io.prefstream.model.data.FeaturizedPair;
import io.prefstream.model.reward.BaseModel;
import io.prefstream.model.reward.IndividualModel;
import io.prefstream.model.reward.PreferenceLoss;
import io.prefstream.model.train.BaseTrainer;
import io.prefstream.model.train.BatchedIndividualTrainer;
import io.prefstream.model.train.TrainingPair;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Stage 3 offline: from a base and the events of many (user, domain) keys, fits the generic part of each
 * domain (shared by its users) and then every key's individual part, the latter exactly as the learner
 * does online: mini-batches of a key's events, all keys in one batched trainer call, general pairs
 * replayed into every batch (enrichment) and u pulled toward zero.
 */
public final class Customizer {
  private final CustomizeConfig config;

  public Customizer(CustomizeConfig config) {
    this.config = config;
  }

  public record Result(BaseModel base, Map<UserDomain, IndividualModel> individuals, double finalMeanLoss) {}

  public Result customize(BaseModel base, List<FeaturizedPair> events, List<FeaturizedPair> general,
      long nowMs, Consumer<String> progress) {
    Map<UserDomain, List<FeaturizedPair>> byKey = new TreeMap<>();
    Map<String, List<FeaturizedPair>> userPairsByDomain = new TreeMap<>();
    for (FeaturizedPair p : events) {
      if (p.record().userId() == null) {
        continue; // general data has no user: it belongs to the base
      }
      byKey.computeIfAbsent(new UserDomain(p.record().userId(), p.record().domain()), k -> new ArrayList<>()).add(p);
      userPairsByDomain.computeIfAbsent(p.record().domain(), k -> new ArrayList<>()).add(p);
    }
    // The generic part is shared by every user of the domain: each user's pairs together weigh at most the cap.
    Map<String, List<TrainingPair>> byDomain = new TreeMap<>();
    userPairsByDomain.forEach((domain, pairs) -> {
      double[] w = config.genericUserCap().weights(pairs.stream().map(FeaturizedPair::record).toList());
      List<TrainingPair> weighted = new ArrayList<>(pairs.size());
      for (int i = 0; i < pairs.size(); i++) {
        weighted.add(pair(0, pairs.get(i), (float) w[i]));
      }
      byDomain.put(domain, weighted);
    });
    List<TrainingPair> enrichment = new ArrayList<>();
    for (FeaturizedPair p : general) {
      enrichment.add(pair(0, p, 1f));
    }
    BaseModel customizedBase = base;
    if (config.trainGeneric() && !byDomain.isEmpty()) {
      progress.accept("fitting generic parts of " + byDomain.size() + " domains");
      try (BaseTrainer bt = new BaseTrainer(config.generic())) {
        Map<String, float[]> g = new LinkedHashMap<>(base.genericByDomain());
        g.putAll(bt.trainGeneric(base.weights(), byDomain, enrichment));
        long n = 0;
        for (List<TrainingPair> l : byDomain.values()) {
          n += l.size();
        }
        customizedBase = base.withGeneric(g, base.version() + 1, n, nowMs);
      }
    }
    List<UserDomain> keys = new ArrayList<>(byKey.keySet());
    List<float[]> frozen = new ArrayList<>();
    List<float[]> u = new ArrayList<>();
    for (UserDomain k : keys) {
      float[] w = customizedBase.weights().clone();
      float[] g = customizedBase.generic(k.domain());
      if (g != null) {
        for (int i = 0; i < w.length; i++) {
          w[i] += g[i];
        }
      }
      frozen.add(w);
      u.add(new float[base.featureDim()]);
    }
    Random rnd = new Random(config.seed());
    long[] steps = new long[keys.size()];
    long[] applied = new long[keys.size()];
    double loss = 0;
    progress.accept("training individual parts of " + keys.size() + " (user, domain) keys on " + events.size() + " events");
    try (BatchedIndividualTrainer trainer = new BatchedIndividualTrainer(config.individual())) {
      for (int epoch = 0; epoch < config.epochs(); epoch++) {
        List<List<FeaturizedPair>> shuffled = new ArrayList<>();
        int rounds = 0;
        for (UserDomain k : keys) {
          List<FeaturizedPair> l = new ArrayList<>(byKey.get(k));
          Collections.shuffle(l, rnd);
          shuffled.add(l);
          rounds = Math.max(rounds, (l.size() + config.batchSize() - 1) / config.batchSize());
        }
        for (int r = 0; r < rounds; r++) {
          List<TrainingPair> batch = new ArrayList<>();
          for (int ki = 0; ki < keys.size(); ki++) {
            List<FeaturizedPair> l = shuffled.get(ki);
            int from = r * config.batchSize();
            if (from >= l.size()) {
              continue;
            }
            for (FeaturizedPair p : l.subList(from, Math.min(l.size(), from + config.batchSize()))) {
              batch.add(pair(ki, p, 1f));
              if (epoch == 0) {
                applied[ki]++;
              }
            }
            for (int e = 0; e < config.enrichmentPerBatch() && !enrichment.isEmpty(); e++) {
              TrainingPair g = enrichment.get(rnd.nextInt(enrichment.size()));
              batch.add(new TrainingPair(ki, g.chosen(), g.rejected(), g.margin(),
                  config.individual().enrichmentWeight()));
            }
            steps[ki] += config.individual().stepsPerBatch();
          }
          BatchedIndividualTrainer.Result res = trainer.train(frozen, u, batch);
          u = new ArrayList<>(res.individuals());
          loss = res.meanLoss();
        }
        progress.accept(String.format("epoch %d/%d: mean loss %.4f", epoch + 1, config.epochs(), loss));
      }
    }
    Map<UserDomain, IndividualModel> out = new LinkedHashMap<>();
    for (int ki = 0; ki < keys.size(); ki++) {
      UserDomain k = keys.get(ki);
      out.put(k, new IndividualModel(k.userId(), k.domain(), 1, customizedBase.version(), u.get(ki),
          applied[ki], steps[ki], nowMs, nowMs));
    }
    return new Result(customizedBase, out, loss);
  }

  private TrainingPair pair(int key, FeaturizedPair p, float weight) {
    return new TrainingPair(key, p.chosen(), p.rejected(),
        PreferenceLoss.margin(p.record().strength(), config.individual().marginScale()), weight);
  }
}
