package io.prefstream.model.train;

import java.util.List;

/**
 * Trains the individual parts u of many (user, domain) keys in one call: one [K, D] parameter, one
 * device step for all keys (DJL PyTorch engine; the GPU when there is one, else the CPU, same code).
 *
 * <p>Each key minimises its own weighted-mean Bradley–Terry margin loss over its pairs plus
 * ½·l2Pull·‖u‖²; keys do not influence each other, and the result is deterministic for the same inputs.
 * Not thread-safe: one trainer per thread; {@link #close()} frees its native memory.
 */
public final class BatchedIndividualTrainer implements AutoCloseable {
  private final TrainerConfig config;
  private final LinearPreferenceOptimizer optimizer;

  public BatchedIndividualTrainer(TrainerConfig config) {
    if (config == null) {
      throw new IllegalArgumentException("config is required");
    }
    this.config = config;
    this.optimizer = new LinearPreferenceOptimizer();
  }

  /** Individual parts after training, the mean per-key loss after the last step, and the steps taken. */
  public record Result(List<float[]> individuals, double meanLoss, int steps) {}

  /**
   * @param frozenWeights per key: w_base + g_domain (not trained)
   * @param individuals per key: the current u (all of dimension D)
   * @param pairs the keys' pairs, routed by {@link TrainingPair#keyIndex()}; a key without pairs only
   *     feels the pull toward zero
   */
  public Result train(List<float[]> frozenWeights, List<float[]> individuals, List<TrainingPair> pairs) {
    return train(frozenWeights, individuals, pairs, config.l2Pull());
  }

  /** {@link #train(List, List, List)} with another pull toward zero than the config's. */
  public Result train(List<float[]> frozenWeights, List<float[]> individuals, List<TrainingPair> pairs, float l2Pull) {
    if (!(l2Pull >= 0) || Float.isInfinite(l2Pull)) {
      throw new IllegalArgumentException("l2Pull must be finite and >= 0, got " + l2Pull);
    }
    LinearPreferenceOptimizer.Outcome o = optimizer.optimise(frozenWeights, individuals, pairs,
        config.learningRate(), pairs.isEmpty() ? 0 : config.stepsPerBatch(), l2Pull, false);
    return new Result(o.parameters(), o.meanLoss(), o.steps());
  }

  public TrainerConfig config() {
    return config;
  }

  /** "cpu()" or "gpu(0)". */
  public String device() {
    return optimizer.device();
  }

  /** Native arrays still held between calls; for leak tests. */
  int liveArrays() {
    return optimizer.liveArrays();
  }

  @Override
  public void close() {
    optimizer.close();
  }
}
