package io.prefstream.model.train;

/**
 * Offline training of the base head (GRFT) and the generic domain parts (full-batch Adam).
 *
 * @param baseSteps Adam steps for w_base on the general pairs
 * @param baseLearningRate Adam step size for w_base
 * @param baseL2 L2 weight on w_base (the general data is small; keeps the head from memorising it)
 * @param genericSteps Adam steps for each g_domain on its domain's pairs (w_base frozen)
 * @param genericLearningRate Adam step size for g_domain
 * @param genericL2 L2 weight on g_domain: the pull toward the base while customizing
 * @param marginScale m = marginScale · strength
 * @param enrichmentWeight weight of general pairs replayed into every domain's generic training
 */
public record BaseTrainerConfig(
    int baseSteps, float baseLearningRate, float baseL2,
    int genericSteps, float genericLearningRate, float genericL2,
    float marginScale, float enrichmentWeight) {

  public BaseTrainerConfig {
    if (baseSteps < 0 || genericSteps < 0) {
      throw new IllegalArgumentException("steps must be >= 0, got " + baseSteps + " and " + genericSteps);
    }
    if (!(baseLearningRate > 0) || !(genericLearningRate > 0)) {
      throw new IllegalArgumentException("learning rates must be > 0, got " + baseLearningRate + " and "
          + genericLearningRate);
    }
    if (!(baseL2 >= 0) || !(genericL2 >= 0) || !(marginScale >= 0) || !(enrichmentWeight >= 0)) {
      throw new IllegalArgumentException("baseL2, genericL2, marginScale and enrichmentWeight must be >= 0");
    }
  }

  public static BaseTrainerConfig defaults() {
    return new BaseTrainerConfig(300, 0.01f, 0.01f, 300, 0.01f, 0.001f, 0.5f, 0.25f);
  }
}
