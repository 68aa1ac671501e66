package io.prefstream.model.train;

import io.prefstream.model.reward.BaseModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trains the general base head w_base on general preference pairs (stage 2, GRFT) and the generic
 * per-domain parts g_domain on each domain's pairs with w_base frozen (the generic half of stage 3),
 * both with the Bradley–Terry margin loss, full-batch Adam on DJL's PyTorch engine.
 *
 * <p>While fitting g_domain, general pairs are replayed with {@link BaseTrainerConfig#enrichmentWeight()}
 * and g is pulled toward zero ({@link BaseTrainerConfig#genericL2()}), so a domain's model keeps the
 * base's general ability. Not thread-safe; close it to free native memory.
 */
public final class BaseTrainer implements AutoCloseable {
  private final BaseTrainerConfig config;
  private final LinearPreferenceOptimizer optimizer;

  public BaseTrainer(BaseTrainerConfig config) {
    if (config == null) {
      throw new IllegalArgumentException("config is required");
    }
    this.config = config;
    this.optimizer = new LinearPreferenceOptimizer();
  }

  public BaseTrainerConfig config() {
    return config;
  }

  public String device() {
    return optimizer.device();
  }

  /** w_base from general pairs (their keyIndex is ignored); starts from zero. */
  public float[] trainBase(int featureDim, List<TrainingPair> generalPairs) {
    List<TrainingPair> keyed = new ArrayList<>(generalPairs.size());
    for (TrainingPair p : generalPairs) {
      keyed.add(p.keyIndex() == 0 ? p : new TrainingPair(0, p.chosen(), p.rejected(), p.margin(), p.weight()));
    }
    return optimizer.optimise(List.of(new float[featureDim]), List.of(new float[featureDim]), keyed,
        config.baseLearningRate(), config.baseSteps(), config.baseL2(), true).parameters().get(0);
  }

  /**
   * g_domain for every domain in {@code domainPairs} (keyIndex ignored), all domains in one batched
   * call, with {@code enrichment} general pairs replayed into each domain at the enrichment weight.
   */
  public Map<String, float[]> trainGeneric(float[] base, Map<String, List<TrainingPair>> domainPairs,
      List<TrainingPair> enrichment) {
    List<String> domains = new ArrayList<>(domainPairs.keySet());
    List<TrainingPair> keyed = new ArrayList<>();
    List<float[]> frozen = new ArrayList<>();
    List<float[]> init = new ArrayList<>();
    for (int k = 0; k < domains.size(); k++) {
      frozen.add(base);
      init.add(new float[base.length]);
      for (TrainingPair p : domainPairs.get(domains.get(k))) {
        keyed.add(new TrainingPair(k, p.chosen(), p.rejected(), p.margin(), p.weight()));
      }
      if (config.enrichmentWeight() > 0) {
        for (TrainingPair p : enrichment) {
          keyed.add(new TrainingPair(k, p.chosen(), p.rejected(), p.margin(),
              p.weight() * config.enrichmentWeight()));
        }
      }
    }
    List<float[]> g = optimizer.optimise(frozen, init, keyed, config.genericLearningRate(),
        config.genericSteps(), config.genericL2(), true).parameters();
    Map<String, float[]> out = new LinkedHashMap<>();
    for (int k = 0; k < domains.size(); k++) {
      out.put(domains.get(k), g.get(k));
    }
    return out;
  }

  /** A full base model: w_base from the general pairs, then g_domain per domain. */
  public BaseModel train(long version, String encoderId, int featureDim, List<TrainingPair> generalPairs,
      Map<String, List<TrainingPair>> domainPairs, long nowMs) {
    float[] w = trainBase(featureDim, generalPairs);
    Map<String, float[]> g = domainPairs.isEmpty() ? Map.of() : trainGeneric(w, domainPairs, generalPairs);
    long pairs = generalPairs.size();
    for (List<TrainingPair> l : domainPairs.values()) {
      pairs += l.size();
    }
    return new BaseModel(version, encoderId, featureDim, w, g, pairs, nowMs);
  }

  @Override
  public void close() {
    optimizer.close();
  }
}
