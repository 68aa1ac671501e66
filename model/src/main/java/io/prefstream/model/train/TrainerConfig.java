package io.prefstream.model.train;

/**
 * Online (CRFT) training of the individual parts.
 *
 * @param learningRate gradient-descent step size on u
 * @param stepsPerBatch gradient steps per {@link BatchedIndividualTrainer#train} call
 * @param l2Pull weight of ½·l2Pull·‖u‖²: pulls u toward 0, i.e. the customized model toward base + generic,
 *     which keeps the general ability (the paper's "stay close to the base" regulariser)
 * @param marginScale m = marginScale · strength in the Bradley–Terry margin loss
 * @param enrichmentWeight weight callers give replayed general pairs (general-preference enrichment)
 *     relative to the user's own pairs (weight 1)
 */
public record TrainerConfig(
    float learningRate, int stepsPerBatch, float l2Pull, float marginScale, float enrichmentWeight) {

  public TrainerConfig {
    if (!(learningRate > 0) || Float.isInfinite(learningRate)) {
      throw new IllegalArgumentException("learningRate must be finite and > 0, got " + learningRate);
    }
    if (stepsPerBatch < 1 || stepsPerBatch > 100_000) {
      throw new IllegalArgumentException("stepsPerBatch must be in [1, 100000], got " + stepsPerBatch);
    }
    if (!(l2Pull >= 0) || Float.isInfinite(l2Pull)) {
      throw new IllegalArgumentException("l2Pull must be finite and >= 0, got " + l2Pull);
    }
    if (!(marginScale >= 0) || Float.isInfinite(marginScale)) {
      throw new IllegalArgumentException("marginScale must be finite and >= 0, got " + marginScale);
    }
    if (!(enrichmentWeight >= 0) || Float.isInfinite(enrichmentWeight)) {
      throw new IllegalArgumentException("enrichmentWeight must be finite and >= 0, got " + enrichmentWeight);
    }
  }

  public static TrainerConfig defaults() {
    return new TrainerConfig(2.0f, 30, 0.01f, 0.5f, 0.25f);
  }
}
